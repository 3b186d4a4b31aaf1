"""Appliers of `charge.dispute.*` events (registered with payments' webhook registry)."""

from __future__ import annotations

from payments.models import WebhookEvent
from payments.webhooks import webhook_handler

DISPUTE_EVENTS = (
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
    "charge.dispute.closed",
)


@webhook_handler(*DISPUTE_EVENTS)
def charge_dispute_changed(event: WebhookEvent) -> None:
    """Idempotent and order-tolerant: the service compares status rank and the event's time."""
    from disputes.services import chargeback_apply

    if event.payload.get("account"):
        return  # a dispute on a connected account's own charge is not a marketplace order
    chargeback_apply(dispute=event.payload["data"]["object"], event_created=int(event.payload["created"]))
