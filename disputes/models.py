"""Buyer claims (returns, refunds) with their thread and evidence, and card chargebacks (public schema).

Amounts are integer minor units in the order's currency. Claims point at the public order rows;
stock in vendor schemas is reached by ids (variant_id on the order line), never by foreign keys.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from common.models import PrivateAttachment, TimeStampedModel
from vendors.storage import private_storage


class VendorClaimPolicy(models.Model):
    """A vendor's override of the platform's claim settings (absent: the settings apply)."""

    vendor = models.OneToOneField("vendors.Vendor", on_delete=models.CASCADE, related_name="claim_policy")
    return_window_days = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(return_window_days__isnull=True) | Q(return_window_days__lte=365),
                name="vendorclaimpolicy_window_le_365",
            ),
        ]

    def __str__(self) -> str:
        return f"claim policy of vendor {self.vendor_id}"


class Claim(TimeStampedModel):
    class Reason(models.TextChoices):
        NOT_RECEIVED = "not_received", _("Item not received")
        NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
        DAMAGED = "damaged", _("Damaged")
        WRONG_ITEM = "wrong_item", _("Wrong item")
        RETURN = "return", _("Return within the return window")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        VENDOR_ACCEPTED = "vendor_accepted", _("Accepted by the seller")
        VENDOR_REJECTED = "vendor_rejected", _("Rejected by the seller")
        ESCALATED = "escalated", _("Escalated to the platform")
        RESOLVED_REFUND_FULL = "resolved_refund_full", _("Resolved: full refund")
        RESOLVED_REFUND_PARTIAL = "resolved_refund_partial", _("Resolved: partial refund")
        RESOLVED_DENIED = "resolved_denied", _("Resolved: denied")
        CLOSED = "closed", _("Closed")

    class ReturnStatus(models.TextChoices):
        NONE = "none", _("No return")
        AWAITED = "awaited", _("Return awaited")
        RECEIVED = "received", _("Return received")

    class Liability(models.TextChoices):
        VENDOR = "vendor", _("Seller")
        PLATFORM = "platform", _("Platform")
        SPLIT = "split", _("Split")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="claims")
    sub_order = models.ForeignKey("orders.SubOrder", on_delete=models.PROTECT, related_name="claims")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="claims")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.OPEN, db_index=True)
    description = models.TextField()
    currency = models.CharField(max_length=3)
    # The vendor must answer before this (business days from opening); the beat task escalates.
    respond_by = models.DateTimeField(db_index=True)
    # What the vendor accepted to refund once the return arrives (0 until accepted).
    accepted_amount = models.BigIntegerField(default=0)
    return_status = models.CharField(max_length=10, choices=ReturnStatus.choices, default=ReturnStatus.NONE)
    return_instructions = models.TextField(blank=True)
    return_carrier = models.CharField(max_length=64, blank=True)
    return_tracking_number = models.CharField(max_length=64, blank=True)
    reject_reason = models.TextField(blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_by = models.CharField(max_length=10, blank=True)  # buyer / sla
    resolved_at = models.DateTimeField(null=True, blank=True)
    refunded_amount = models.BigIntegerField(default=0)
    # The arbitration (admin decision), recorded with who decided and who bears the refund.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_note = models.TextField(blank=True)
    liability = models.CharField(max_length=10, choices=Liability.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[
                    "open", "vendor_accepted", "vendor_rejected", "escalated", "resolved_refund_full",
                    "resolved_refund_partial", "resolved_denied", "closed",
                ]),
                name="claim_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(reason__in=["not_received", "not_as_described", "damaged", "wrong_item", "return"]),
                name="claim_reason_valid",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, accepted_amount__gte=0), name="claim_amounts_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(liability__in=["", "vendor", "platform", "split"]), name="claim_liability_valid"
            ),
            # One live claim per vendor part of an order.
            models.UniqueConstraint(
                fields=["sub_order"],
                condition=Q(status__in=["open", "vendor_accepted", "vendor_rejected", "escalated"]),
                name="claim_one_active_per_sub_order",
            ),
        ]

    def __str__(self) -> str:
        return f"claim {self.pk}"

    @property
    def number(self) -> str:
        return f"C{self.pk:06d}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


ACTIVE_STATUSES = frozenset({
    Claim.Status.OPEN, Claim.Status.VENDOR_ACCEPTED, Claim.Status.VENDOR_REJECTED, Claim.Status.ESCALATED,
})


class ClaimLine(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="claim_lines")
    quantity = models.PositiveIntegerField()
    restocked = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "order_line"], name="claimline_once"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="claimline_quantity_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × line {self.order_line_id}"


class ClaimMessage(models.Model):
    class Role(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        VENDOR = "vendor", _("Seller")
        ADMIN = "admin", _("Platform")
        SYSTEM = "system", _("System")

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=8, choices=Role.choices)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=["buyer", "vendor", "admin", "system"]),
                                   name="claimmessage_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.role} on claim {self.claim_id}"


def _attachment_path(instance: ClaimAttachment, filename: str) -> str:
    return f"claims/{instance.claim_id}/{filename}"


class ClaimAttachment(PrivateAttachment):
    """A photo or PDF in the private store (never under MEDIA_URL; served by a checked view)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(ClaimMessage, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=8, choices=ClaimMessage.Role.choices)
    file = models.FileField(storage=private_storage, upload_to=_attachment_path, max_length=300)

    class Meta(PrivateAttachment.Meta):
        pass


class ClaimEvent(models.Model):
    """Audit trail of a claim: every transition and money step, with who did it."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} on claim {self.claim_id}"


class ClaimRefund(models.Model):
    """One refund made for a claim: what the buyer got back and who bears it."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="refunds")
    key = models.CharField(max_length=100, unique=True)
    stripe_refund_id = models.CharField(max_length=255, unique=True)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    liability = models.CharField(max_length=10, choices=Claim.Liability.choices)
    vendor_amount = models.BigIntegerField()
    platform_amount = models.BigIntegerField()
    commission_refunded = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="claimrefund_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(vendor_amount__gte=0, platform_amount__gte=0, commission_refunded__gte=0,
                            amount=F("vendor_amount") + F("platform_amount")),
                name="claimrefund_split_sums",
            ),
        ]

    def __str__(self) -> str:
        return self.stripe_refund_id


class ClaimRefundLine(models.Model):
    refund = models.ForeignKey(ClaimRefund, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="+")
    amount = models.BigIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="claimrefundline_amount_gt_0")]

    def __str__(self) -> str:
        return f"{self.amount} on line {self.order_line_id}"


class Chargeback(TimeStampedModel):
    """A card dispute opened by the bank (`charge.dispute.*`), linked to the marketplace order."""

    class Outcome(models.TextChoices):
        NONE = "", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    stripe_dispute_id = models.CharField(max_length=255, unique=True)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="chargebacks")
    payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    charge_id = models.CharField(max_length=255, blank=True)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.CharField(max_length=64, blank=True)
    stripe_status = models.CharField(max_length=32)
    # The event time of the state held: an older event never overwrites a newer one.
    status_event_created = models.BigIntegerField(default=0)
    due_by = models.DateTimeField(null=True, blank=True)
    fee_amount = models.BigIntegerField(default=0)
    outcome = models.CharField(max_length=4, choices=Outcome.choices, blank=True, default="")
    closed_at = models.DateTimeField(null=True, blank=True)
    evidence_submitted_at = models.DateTimeField(null=True, blank=True)
    evidence_submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                              blank=True, related_name="+")
    submitted_evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["due_by", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0, fee_amount__gte=0), name="chargeback_amounts_valid"),
            models.CheckConstraint(condition=Q(outcome__in=["", "won", "lost"]), name="chargeback_outcome_valid"),
        ]

    def __str__(self) -> str:
        return self.stripe_dispute_id

    @property
    def is_open(self) -> bool:
        return not self.outcome


class ChargebackShare(models.Model):
    """A vendor's part of a chargeback: what is held from it (and recovered if lost)."""

    chargeback = models.ForeignKey(Chargeback, on_delete=models.CASCADE, related_name="shares")
    sub_order = models.ForeignKey("orders.SubOrder", on_delete=models.PROTECT, related_name="chargeback_shares")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="chargeback_shares")
    amount = models.BigIntegerField()
    recovered_amount = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["vendor_id"]
        constraints = [
            models.UniqueConstraint(fields=["chargeback", "sub_order"], name="chargebackshare_once"),
            models.CheckConstraint(condition=Q(amount__gte=0, recovered_amount__gte=0),
                                   name="chargebackshare_amounts_gte_0"),
        ]

    def __str__(self) -> str:
        return f"vendor {self.vendor_id}: {self.amount}"


class ChargebackEvidence(models.Model):
    class Kind(models.TextChoices):
        TRACKING = "tracking", _("Shipping and tracking")
        MESSAGE = "message", _("Correspondence with the buyer")
        RECEIPT = "receipt", _("Receipt or invoice")
        PHOTO = "photo", _("Photo or document")
        NOTE = "note", _("Other explanation")

    chargeback = models.ForeignKey(Chargeback, on_delete=models.CASCADE, related_name="evidence")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.TextField(blank=True)
    file = models.FileField(storage=private_storage, upload_to="chargebacks/", blank=True, max_length=300)
    content_type = models.CharField(max_length=100, blank=True)
    original_name = models.CharField(max_length=255, blank=True, default="", db_default="")
    # The file's id at Stripe once uploaded (`file_...`): a retried submission reuses it.
    stripe_file_id = models.CharField(max_length=255, blank=True, default="", db_default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["tracking", "message", "receipt", "photo", "note"]),
                                   name="chargebackevidence_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.chargeback_id}"

    @property
    def file_name(self) -> str:
        return self.original_name or (self.file.name or "").rsplit("/", 1)[-1]
