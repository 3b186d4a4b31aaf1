"""Payments writes: keeping `PaymentRecord` in step with Stripe from events that arrive in any order."""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from payments import gateway
from payments.models import PaymentAttempt, PaymentRecord, WebhookEvent

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
        record = PaymentRecord(payment_intent_id=pi_id, account=event.account, last_event_created=event.created,
                               last_event_id=event.stripe_id, **_state_from(data))
        if _record_insert(record):
            return record  # the first event of this PaymentIntent: its state is the event's
        record = PaymentRecord.objects.select_for_update().get(payment_intent_id=pi_id)
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


_RECORD_INSERT_SQL = """
INSERT INTO payments_paymentrecord (
    payment_intent_id, account, status, amount, currency, latest_charge, last_error_code,
    last_event_created, last_event_id, refetched, updated_at
) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 0, %s)
ON CONFLICT (payment_intent_id) DO NOTHING
RETURNING id, updated_at
"""


def _record_insert(record: PaymentRecord) -> bool:
    """Insert a new record (the row stays locked by this transaction); False when a concurrent
    event's transaction inserted it first. One statement, where `bulk_create(ignore_conflicts)`
    needs a second to learn whether it inserted."""
    with connection.cursor() as cursor:
        cursor.execute(_RECORD_INSERT_SQL, [
            record.payment_intent_id, record.account, record.status, record.amount, record.currency,
            record.latest_charge, record.last_error_code, record.last_event_created, record.last_event_id,
            timezone.now(),
        ])
        row = cursor.fetchone()
    if row is None:
        return False
    record.pk, record.updated_at = row
    record.refetched = 0
    record._state.adding = False
    return True


def _aware(epoch: int) -> Any:
    import datetime as dt

    return dt.datetime.fromtimestamp(int(epoch or 0), tz=dt.UTC)


@transaction.atomic
def payment_attempt_record(*, charge: dict[str, Any]) -> PaymentAttempt:
    """Keep one charge's attempt and Radar outcome (idempotent; any arrival order: a charge's
    outcome and fingerprint never change, only its status moves from pending)."""
    outcome = charge.get("outcome") or {}
    card = (charge.get("payment_method_details") or {}).get("card") or {}
    pi = charge.get("payment_intent")
    if isinstance(pi, dict):
        pi = pi.get("id")
    score = outcome.get("risk_score")
    values = {
        "payment_intent_id": str(pi or ""),
        "status": charge.get("status") if charge.get("status") in PaymentAttempt.Status.values else "pending",
        "amount": int(charge.get("amount") or 0),
        "currency": str(charge.get("currency") or "").upper()[:3],
        "card_fingerprint": str(card.get("fingerprint") or "")[:64],
        "outcome_type": str(outcome.get("type") or "")[:32],
        "network_status": str(outcome.get("network_status") or "")[:32],
        "outcome_reason": str(outcome.get("reason") or "")[:64],
        "risk_level": str(outcome.get("risk_level") or "")[:16],
        "risk_score": max(0, min(100, int(score))) if isinstance(score, int) else None,
        "seller_message": str(outcome.get("seller_message") or "")[:500],
        "decline_code": str(charge.get("failure_code") or "")[:64],
        "charged_at": _aware(charge.get("created") or 0),
    }
    attempt = PaymentAttempt.objects.select_for_update().filter(charge_id=charge["id"]).first()
    if attempt is None:
        PaymentAttempt.objects.bulk_create([PaymentAttempt(charge_id=charge["id"], **values)],
                                           ignore_conflicts=True)
        attempt = PaymentAttempt.objects.select_for_update().get(charge_id=charge["id"])
    if attempt.status == PaymentAttempt.Status.SUCCEEDED and values["status"] != PaymentAttempt.Status.SUCCEEDED:
        values.pop("status")  # a stale `pending` after `succeeded`
    for name, value in values.items():
        setattr(attempt, name, value)
    attempt.save()
    return attempt


def payment_attempt_for_charge(*, charge_id: str) -> PaymentAttempt:
    """The attempt of this charge, fetched from Stripe when its event has not been applied yet."""
    attempt = PaymentAttempt.objects.filter(charge_id=charge_id).first()
    if attempt is not None and attempt.risk_level:
        return attempt
    return payment_attempt_record(charge=gateway.charge_retrieve_raw(charge_id=charge_id))
