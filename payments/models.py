"""Payments (public schema): every inbound Stripe event, stored once, and payment-intent state."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.Model):
    """One Stripe event, stored once by its id with the raw body; applied by a Celery task."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        APPLIED = "applied", _("Applied")
        FAILED = "failed", _("Failed")
        IGNORED = "ignored", _("Ignored")

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    # The connected account the event is about ("" for the platform's own events).
    account = models.CharField(max_length=64, blank=True, db_index=True)
    # Stripe's `created` (epoch seconds): events are ordered by it, never by arrival.
    created = models.BigIntegerField()
    livemode = models.BooleanField(default=False)
    api_version = models.CharField(max_length=32, blank=True)
    payload = models.JSONField()
    raw_body = models.TextField()
    received_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    # Duplicate deliveries of this event that were answered 2xx without storing anything.
    duplicate_deliveries = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "received_at"], name="webhookevent_status_idx"),
            models.Index(fields=["created"], name="webhookevent_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["received", "applied", "failed", "ignored"]),
                name="webhookevent_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(stripe_id__startswith="evt_"),
                name="webhookevent_stripe_id_evt",
            ),
            models.CheckConstraint(
                condition=models.Q(applied_at__isnull=True) | models.Q(status="applied"),
                name="webhookevent_applied_at_only_applied",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stripe_id} {self.type} ({self.status})"

    @property
    def data_object(self) -> dict:  # type: ignore[type-arg]
        return self.payload.get("data", {}).get("object", {})  # type: ignore[no-any-return]


class PaymentRecord(models.Model):
    """Our copy of a PaymentIntent's state, kept by `payment_intent.*` events in any order."""

    class Status(models.TextChoices):
        REQUIRES_PAYMENT_METHOD = "requires_payment_method", _("Requires payment method")
        REQUIRES_CONFIRMATION = "requires_confirmation", _("Requires confirmation")
        REQUIRES_ACTION = "requires_action", _("Requires action")
        PROCESSING = "processing", _("Processing")
        REQUIRES_CAPTURE = "requires_capture", _("Requires capture")
        CANCELED = "canceled", _("Canceled")
        SUCCEEDED = "succeeded", _("Succeeded")

    payment_intent_id = models.CharField(max_length=255, unique=True)
    account = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=32, choices=Status.choices)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    latest_charge = models.CharField(max_length=255, blank=True)
    last_error_code = models.CharField(max_length=100, blank=True)
    # Stripe `created` of the newest event whose state this row holds.
    last_event_created = models.BigIntegerField()
    last_event_id = models.CharField(max_length=255, blank=True)
    refetched = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="paymentrecord_amount_gte_0"),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "requires_payment_method", "requires_confirmation", "requires_action",
                        "processing", "requires_capture", "canceled", "succeeded",
                    ]
                ),
                name="paymentrecord_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment_intent_id} {self.status}"


class PaymentAttempt(models.Model):
    """One charge on a PaymentIntent (one per attempt, paid or not) with Stripe Radar's outcome
    (`charge.outcome`) and the card's fingerprint, kept from `charge.*` events and from the
    charge re-fetched when an order is paid. Orders' velocity rules count these."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", _("Succeeded")
        PENDING = "pending", _("Pending")
        FAILED = "failed", _("Failed")

    class RiskLevel(models.TextChoices):
        NORMAL = "normal", _("Normal")
        ELEVATED = "elevated", _("Elevated")
        HIGHEST = "highest", _("Highest")
        NOT_ASSESSED = "not_assessed", _("Not assessed")
        UNKNOWN = "unknown", _("Unknown")

    charge_id = models.CharField(max_length=255, unique=True)
    payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    card_fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    # charge.outcome, as Stripe sends it: type (authorized, manual_review, issuer_declined,
    # blocked, invalid), network_status, reason, risk_level, risk_score (0-100), seller_message.
    outcome_type = models.CharField(max_length=32, blank=True)
    network_status = models.CharField(max_length=32, blank=True)
    outcome_reason = models.CharField(max_length=64, blank=True)
    risk_level = models.CharField(max_length=16, blank=True, choices=RiskLevel.choices)
    risk_score = models.PositiveSmallIntegerField(null=True, blank=True)
    seller_message = models.CharField(max_length=500, blank=True)
    decline_code = models.CharField(max_length=64, blank=True)
    # Stripe's `created` of the charge: velocity windows count attempts by it.
    charged_at = models.DateTimeField(db_index=True)
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-charged_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="paymentattempt_amount_gte_0"),
            models.CheckConstraint(
                condition=models.Q(status__in=["succeeded", "pending", "failed"]),
                name="paymentattempt_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(risk_score__isnull=True) | models.Q(risk_score__lte=100),
                name="paymentattempt_risk_score_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.charge_id} {self.status} ({self.risk_level or 'no risk level'})"
