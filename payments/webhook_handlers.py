"""Payments' own webhook appliers: `payment_intent.*` events keep `PaymentRecord` current, `charge.*`
events record each attempt's Radar outcome (`PaymentAttempt`)."""

from __future__ import annotations

from payments import services
from payments.models import WebhookEvent
from payments.webhooks import webhook_handler

PAYMENT_INTENT_EVENTS = (
    "payment_intent.created",
    "payment_intent.processing",
    "payment_intent.requires_action",
    "payment_intent.amount_capturable_updated",
    "payment_intent.partially_funded",
    "payment_intent.payment_failed",
    "payment_intent.succeeded",
    "payment_intent.canceled",
    "payment_intent.updated",
)


@webhook_handler(*PAYMENT_INTENT_EVENTS)
def payment_intent_changed(event: WebhookEvent) -> None:
    services.payment_record_apply_event(event=event)


@webhook_handler("charge.succeeded", "charge.failed", "charge.captured", "charge.pending")
def charge_attempted(event: WebhookEvent) -> None:
    """Each platform charge's Radar outcome and card fingerprint (a connected account's own
    charges are not the marketplace's payments)."""
    if event.account:
        return
    services.payment_attempt_record(charge=event.data_object)
