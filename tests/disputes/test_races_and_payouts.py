"""Races and money already sent: two admins deciding at once, the SLA beat task on a real worker,
a refund after the vendor's transfer went out (reversed through the emulator)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.utils import timezone

from disputes import services
from disputes.errors import ClaimStateConflict
from disputes.models import Claim, ClaimRefund
from payments import gateway
from payouts.ledger.selectors import vendor_balances
from payouts.models import Transfer
from tests.factories.orders import paid_orders, sellable_variant
from tests.support.ledger import ledger_balanced
from tests.support.waiting import wait_until
from vendors.models import Vendor


# A paid order from the factory (no webhook round trip); its PaymentIntent is real on the session's
# emulator, which the refunds and transfers under test go through.
@pytest.fixture
def emulator(gateway_on_emulator):
    return gateway_on_emulator


@pytest.fixture
def paid_order(buyer, emulator):
    return paid_orders(buyer)


def _escalated(buyer, order, vendor, owner):
    sub = order.sub_orders.get(vendor=vendor)
    claim = services.claim_open(buyer=buyer, order_id=order.pk, sub_order_id=sub.pk, reason="wrong_item",
                                description="Got a mug, ordered a lamp", lines={sub.lines.first().pk: 1})
    services.claim_reject(claim_id=claim.pk, vendor=vendor, user=owner, reason="It was a lamp")
    services.claim_escalate(claim_id=claim.pk, user=buyer)
    return claim


@pytest.mark.django_db(transaction=True)
def test_two_admins_deciding_at_once_one_wins(buyer, vendor_a, owner_a, admin_user, paid_order):
    from tests.factories import UserFactory

    other_admin = UserFactory(email="admin2@example.com", platform_role="admin")
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=2000), 1))
    claim = _escalated(buyer, order, vendor_a, owner_a)
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def decide(name, admin, outcome):
        try:
            barrier.wait(timeout=10)
            services.claim_decide(claim_id=claim.pk, admin=admin, outcome=outcome, liability="vendor",
                                  amount=500 if outcome == "refund_partial" else None)
            results[name] = "ok"
        except ClaimStateConflict as exc:
            results[name] = exc.code
        finally:
            close_old_connections()

    threads = [threading.Thread(target=decide, args=("a", admin_user, "refund_full")),
               threading.Thread(target=decide, args=("b", other_admin, "refund_partial"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results.values()) == ["claim_already_decided", "ok"]
    assert ClaimRefund.objects.filter(claim=claim).count() == 1
    claim.refresh_from_db()
    winner = admin_user if results["a"] == "ok" else other_admin
    assert claim.decided_by == winner
    charge = gateway._client().v1.charges.list(params={"payment_intent": order.payment_intent_id}).data[0]
    assert charge.amount_refunded == claim.refunded_amount
    assert ledger_balanced()


@pytest.mark.django_db(transaction=True)
def test_sla_beat_task_escalates_on_real_worker(buyer, vendor_a, paid_order, task_worker):
    from disputes.tasks import claims_escalate_overdue

    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1000), 1))
    sub = order.sub_orders.get()
    claim = services.claim_open(buyer=buyer, order_id=order.pk, sub_order_id=sub.pk, reason="not_received",
                                description="Nothing came", lines={sub.lines.get().pk: 1})
    fresh = claim.pk
    Claim.objects.filter(pk=claim.pk).update(respond_by=timezone.now() - timedelta(minutes=1))
    result = claims_escalate_overdue.delay()
    assert fresh in result.get(timeout=60)
    wait_until(lambda: Claim.objects.get(pk=fresh).status == "escalated", message="escalated")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.ESCALATED and claim.escalated_by == "sla"
    assert claim.events.filter(action="escalated", actor=None).exists()
    # Run again: nothing left to escalate.
    assert claims_escalate_overdue.delay().get(timeout=60) == []


@pytest.mark.django_db
def test_refund_after_vendor_payout_reverses_transfer(buyer, vendor_a, owner_a, paid_order, emulator,
                                                      django_capture_on_commit_callbacks):
    import urllib.request

    from payouts.transfers import transfer_execute, transfers_create_for_order

    account = gateway.account_create(vendor_id=vendor_a.pk, country="DE", email="a@example.com",
                                     business_name="Alpha")
    request = urllib.request.Request(f"{emulator.url}/_emulator/accounts/{account.id}/complete_onboarding",
                                     data=b"{}", method="POST", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()
    Vendor.objects.filter(pk=vendor_a.pk).update(stripe_account_id=account.id)
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=4000), 1))
    (transfer,) = transfers_create_for_order(order_id=order.pk)
    Transfer.objects.filter(pk=transfer.pk).update(release_at=timezone.now() - timedelta(minutes=1))
    transfer = transfer_execute(transfer_id=transfer.pk)
    assert transfer.status == "transferred", transfer.last_error
    sent = vendor_balances(vendor_id=vendor_a.pk, currency=order.currency)
    assert sent["pending"] == 0 and sent["available"] == transfer.amount

    sub = order.sub_orders.get()
    claim = services.claim_open(buyer=buyer, order_id=order.pk, sub_order_id=sub.pk, reason="damaged",
                                description="Cracked", lines={sub.lines.get().pk: 1})
    with django_capture_on_commit_callbacks(execute=False):
        services.claim_accept(claim_id=claim.pk, vendor=vendor_a, user=owner_a, amount=2500)
    refund = ClaimRefund.objects.get(claim=claim)
    vendor_part = refund.amount - refund.platform_amount - refund.commission_refunded
    owed = vendor_balances(vendor_id=vendor_a.pk, currency=order.currency)
    assert owed["pending"] == -vendor_part  # owed back until recovered
    assert services.claim_refund_recover(refund_id=refund.pk) is True
    assert services.claim_refund_recover(refund_id=refund.pk) is True  # retried task: same key, no 2nd reversal
    transfer.refresh_from_db()
    assert transfer.amount_reversed == vendor_part
    remote = gateway.transfer_retrieve(transfer_id=transfer.stripe_transfer_id)
    assert remote.amount_reversed == vendor_part
    final = vendor_balances(vendor_id=vendor_a.pk, currency=order.currency)
    assert final["pending"] == 0 and final["available"] == transfer.amount - vendor_part
    assert ledger_balanced()
