"""Payouts recorded from Connect `payout.*` webhooks: idempotent, order-tolerant, ledger-posted."""

from __future__ import annotations

import pytest

from payments import gateway
from payouts import transfers as svc
from payouts.ledger.selectors import unbalanced_entries, vendor_balances
from payouts.models import JournalEntry, Payout
from payouts.payouts import payout_record_apply
from tests.support.stripe import deliver, emulator_post, flush, resign
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db


def _payout_events(webhooks, payout_id):
    return [d for d in webhooks.deliveries
            if d.event["type"].startswith("payout.") and d.event["data"]["object"]["id"] == payout_id]


def _transferred(order):
    svc.transfers_create_for_order(order_id=order.pk)
    svc.transfers_release_due()


def test_payout_paid_is_recorded_once_and_posted(two_vendor_order, vendor_a, connected, emulator, webhooks):
    _transferred(two_vendor_order)
    available = vendor_balances(vendor_id=vendor_a.pk, currency="EUR")["available"]
    assert available > 0
    payout = gateway.payout_create(key="t1", account_id=connected["a"], amount=available, currency="EUR",
                                   metadata={})
    flush(emulator)
    events = wait_until(lambda: [d for d in _payout_events(webhooks, payout.id) if d.event["type"] == "payout.paid"]
                        and _payout_events(webhooks, payout.id))
    for delivery in events:
        deliver(delivery)
    for delivery in events:  # redelivered: nothing new
        deliver(resign(delivery))
    record = Payout.objects.get(stripe_payout_id=payout.id)
    assert record.vendor_id == vendor_a.pk and record.status == Payout.Status.PAID
    assert record.amount == available and record.paid_at is not None
    assert JournalEntry.objects.filter(kind="payout", reference_id=payout.id).count() == 1
    balances = vendor_balances(vendor_id=vendor_a.pk, currency="EUR")
    assert balances["available"] == 0 and balances["paid_out"] == available
    assert unbalanced_entries() == []


def test_out_of_order_events_keep_the_newest_state(vendor_a):
    from vendors.models import Vendor

    Vendor.objects.filter(pk=vendor_a.pk).update(stripe_account_id="acct_order1")
    data = {"id": "po_order1", "amount": 700, "currency": "eur", "arrival_date": 1_800_000_000}
    payout_record_apply(data={**data, "status": "paid"}, account_id="acct_order1", event_created=200)
    payout_record_apply(data={**data, "status": "pending"}, account_id="acct_order1", event_created=100)
    payout_record_apply(data={**data, "status": "in_transit"}, account_id="acct_order1", event_created=150)
    record = Payout.objects.get(stripe_payout_id="po_order1")
    assert record.status == "paid" and record.last_event_created == 200
    assert JournalEntry.objects.filter(kind="payout", reference_id="po_order1").count() == 1
    # an unknown account is ignored
    assert payout_record_apply(data={**data, "id": "po_x", "status": "paid"}, account_id="acct_nobody",
                               event_created=1) is None
    assert not Payout.objects.filter(stripe_payout_id="po_x").exists()


def test_payout_failed_after_paid_reverses_the_ledger(two_vendor_order, vendor_a, connected, emulator, webhooks):
    _transferred(two_vendor_order)
    available = vendor_balances(vendor_id=vendor_a.pk, currency="EUR")["available"]
    emulator_post(emulator, "/_emulator/config", {"payouts_auto_paid": False})
    payout = gateway.payout_create(key="t2", account_id=connected["a"], amount=available, currency="EUR",
                                   metadata={})
    emulator_post(emulator, f"/_emulator/payouts/{payout.id}/pay")
    emulator_post(emulator, f"/_emulator/payouts/{payout.id}/fail", {"failure_code": "account_closed"})
    flush(emulator)
    events = wait_until(lambda: [d for d in _payout_events(webhooks, payout.id) if d.event["type"] == "payout.failed"]
                        and _payout_events(webhooks, payout.id))
    for delivery in sorted(events, key=lambda d: -d.event["created"]):  # newest first
        deliver(delivery)
    record = Payout.objects.get(stripe_payout_id=payout.id)
    assert record.status == Payout.Status.FAILED and record.failure_code == "account_closed"
    balances = vendor_balances(vendor_id=vendor_a.pk, currency="EUR")
    assert balances["available"] == available
    assert unbalanced_entries() == []


def test_same_second_events_only_move_forward(vendor_a):
    from vendors.models import Vendor

    Vendor.objects.filter(pk=vendor_a.pk).update(stripe_account_id="acct_same1")
    data = {"id": "po_same1", "amount": 300, "currency": "eur"}
    payout_record_apply(data={**data, "status": "paid"}, account_id="acct_same1", event_created=500)
    payout_record_apply(data={**data, "status": "pending"}, account_id="acct_same1", event_created=500)
    assert Payout.objects.get(stripe_payout_id="po_same1").status == "paid"
