"""Property: whatever the order and duplication of a PaymentIntent's events, the PaymentRecord ends
in the gateway's current state, marked with the newest event (Hypothesis)."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payments import gateway, webhooks
from payments.errors import CardDeclined
from payments.models import PaymentRecord, WebhookEvent
from tests.payments.events import signed_headers
from tests.payments.flows import submit_form


class _Rollback(Exception):
    pass


@pytest.mark.django_db
@pytest.mark.parametrize("batched", [False, True], ids=["one-by-one", "batched"])
def test_any_order_and_duplication_converges_to_the_gateway_state(batched: bool) -> None:
    """One by one: each delivery applied as it arrives. Batched: every delivery stored first, then
    the tasks run in the delivery order, the first applying a batch of all (Stripe order)."""
    intent = gateway.payment_intent_create(order_id=5000, amount=4321, currency="EUR",
                                           transfer_group="order_5000", metadata={})
    with pytest.raises(CardDeclined):
        gateway.payment_intent_confirm(payment_intent_id=intent.id, payment_method="pm_card_chargeDeclined")
    pending = gateway.payment_intent_confirm(payment_intent_id=intent.id,
                                             payment_method="pm_card_authenticationRequired",
                                             return_url="http://localhost/r")
    submit_form(pending.next_action_url or "", {"action": "complete", "client_secret": pending.client_secret or ""})
    events = [
        e for e in reversed(list(gateway.events_list(created_gte=None, created_lt=None)))
        if e["type"].startswith("payment_intent.") and e["data"]["object"]["id"] == intent.id
    ]
    assert [e["type"] for e in events] == [
        "payment_intent.created", "payment_intent.payment_failed",
        "payment_intent.requires_action", "payment_intent.succeeded",
    ]
    # Spread over distinct seconds in some runs, share one second in others: both must converge.
    final = gateway.payment_intent_retrieve(payment_intent_id=intent.id)
    expected = (final.status, final.amount, final.currency, final.latest_charge or "")

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(
        order=st.lists(st.integers(min_value=0, max_value=len(events) - 1), min_size=1, max_size=12),
        spread=st.booleans(),
    )
    def check(order: list[int], spread: bool) -> None:
        chosen = [dict(events[i], created=(100 + i if spread else 100)) for i in order]
        try:
            with transaction.atomic():
                stored_ids = []
                for event in chosen:
                    body = json.dumps(event)
                    stored, _ = webhooks.webhook_event_receive(
                        payload=body.encode(), signature=signed_headers(body)["HTTP_STRIPE_SIGNATURE"])
                    stored_ids.append(stored.pk)
                    if not batched:
                        webhooks.webhook_event_apply(event_id=stored.pk)
                for pk in stored_ids if batched else ():
                    webhooks.webhook_event_apply_batched(event_id=pk, limit=50)
                assert not WebhookEvent.objects.exclude(status=WebhookEvent.Status.APPLIED).exists()
                record = PaymentRecord.objects.get()
                newest = max((e["created"], e["id"]) for e in chosen)
                assert (record.last_event_created, record.last_event_id) == newest
                assert WebhookEvent.objects.count() == len({e["id"] for e in chosen})
                state = (record.status, record.amount, record.currency, record.latest_charge)
                if events[-1]["id"] in {e["id"] for e in chosen}:
                    # the newest event was seen: nothing older may win
                    assert state == expected
                else:
                    # otherwise the newest event's payload, or the gateway's state if re-fetched
                    top = next(e for e in chosen if (e["created"], e["id"]) == newest)["data"]["object"]
                    assert state in (expected, (top["status"], top["amount"], top["currency"].upper(),
                                                top["latest_charge"] or ""))
                raise _Rollback
        except _Rollback:
            pass

    check()
