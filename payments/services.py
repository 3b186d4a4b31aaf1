"""Payments writes: keeping `PaymentRecord` in step with Stripe from events that arrive in any order."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from payments import gateway
from payments.models import PaymentRecord, WebhookEvent

logger = logging.getLogger(__name__)


def _state_from(data: dict[str, Any]) -> dict[str, Any]:
    intent = gateway.payment_intent_from_dict(data)
    return {
        "status": intent.status,
        "amount": intent.amount,
        "currency": intent.currency,
        "latest_charge": intent.latest_charge or "",
        "last_error_code": (intent.last_error_code or "")[:100],
    }


@transaction.atomic
def payment_record_apply_event(*, event: WebhookEvent) -> PaymentRecord:
    """Move a PaymentRecord to the state a `payment_intent.*` event carries, in any order.

    The row remembers the newest event it reflects as (created, event id). A strictly newer event
    sets the state from its payload. An event from the same second or older cannot be ordered
    against what is held (Stripe's `created` has one-second resolution), so the state is re-fetched
    from the gateway, which is always current. Either way the outcome does not depend on arrival
    order; duplicates never reach here (the event row is applied once).
    """
    data = event.data_object
    pi_id = str(data["id"])
    marker = (event.created, event.stripe_id)
    record = PaymentRecord.objects.select_for_update().filter(payment_intent_id=pi_id).first()
    if record is None:
        PaymentRecord.objects.bulk_create(
            [
                PaymentRecord(
                    payment_intent_id=pi_id,
                    account=event.account,
                    last_event_created=event.created,
                    last_event_id=event.stripe_id,
                    **_state_from(data),
                )
            ],
            ignore_conflicts=True,
        )
        record = PaymentRecord.objects.select_for_update().get(payment_intent_id=pi_id)
        if record.last_event_id == event.stripe_id:
            return record
    held = (record.last_event_created, record.last_event_id)
    if marker == held:
        return record
    if event.created > record.last_event_created:
        state = _state_from(data)
    else:
        fresh = gateway.payment_intent_retrieve_raw(
            payment_intent_id=pi_id, account_id=record.account or None
        )
        state = _state_from(fresh)
        record.refetched += 1
        logger.info(
            "payment %s: event %s not newer than state held; re-fetched (%s)",
            pi_id, event.stripe_id, state["status"],
        )
    for name, value in state.items():
        setattr(record, name, value)
    if marker > held:
        record.last_event_created, record.last_event_id = marker
    record.save(
        update_fields=[*state.keys(), "last_event_created", "last_event_id", "refetched", "updated_at"]
    )
    return record
