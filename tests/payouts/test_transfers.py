"""Transfers: created once per paid sub-order, released by policy, held, retried, reversed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from orders.models import Order, SubOrder
from payments import gateway
from payouts import transfers as svc
from payouts.errors import TransferReversalInvalid, TransferStateConflict
from payouts.ledger.selectors import unbalanced_entries, vendor_balances
from payouts.models import HoldPolicy, JournalEntry, Transfer, TransferEvent, VendorPayoutPolicy
from tests.factories.orders import paid_orders
from vendors.models import Vendor

pytestmark = pytest.mark.django_db


# A paid order from the factory (no webhook round trip); its PaymentIntent is real on the session's
# emulator, which the refunds and transfers under test go through.
@pytest.fixture
def emulator(gateway_on_emulator):
    return gateway_on_emulator


@pytest.fixture
def paid_order(shopper, emulator):
    return paid_orders(shopper)


S = Transfer.Status


def test_paid_order_gets_one_transfer_per_vendor_and_immediate_ones_are_sent(two_vendor_order, vendor_a, vendor_b):
    order = two_vendor_order
    created = svc.transfers_create_for_order(order_id=order.pk)
    assert len(created) == 2
    by_vendor = {t.vendor_id: t for t in created}
    for sub in order.sub_orders.all():
        transfer = by_vendor[sub.vendor_id]
        assert transfer.amount == sub.net_amount > 0
        assert transfer.idempotency_key == f"transfer:{order.pk}:{sub.vendor_id}"
        assert transfer.status == S.PENDING and transfer.release_at is not None
    # again: nothing new
    assert {t.pk for t in svc.transfers_create_for_order(order_id=order.pk)} == {t.pk for t in created}
    assert Transfer.objects.filter(order=order).count() == 2

    result = svc.transfers_release_due()
    assert result["sent"] == 2
    for transfer in Transfer.objects.filter(order=order):
        assert transfer.status == S.TRANSFERRED
        remote = gateway.transfer_retrieve(transfer_id=transfer.stripe_transfer_id)
        assert remote.amount == transfer.amount
        assert remote.destination == Vendor.objects.get(pk=transfer.vendor_id).stripe_account_id
        assert remote.transfer_group == (order.transfer_group or f"order_{order.pk}")
        assert remote.source_transaction
        assert JournalEntry.objects.filter(kind="transfer", reference_id=transfer.stripe_transfer_id).count() == 1
        balances = vendor_balances(vendor_id=transfer.vendor_id, currency="EUR")
        assert balances["pending"] == 0 and balances["available"] == transfer.amount
    assert unbalanced_entries() == []
    # a second beat run, or executing again, sends nothing more
    assert svc.transfers_release_due()["sent"] == 0
    again = svc.transfer_execute(transfer_id=created[0].pk)
    assert again.status == S.TRANSFERRED
    assert JournalEntry.objects.filter(kind="transfer").count() == 2


def test_unpaid_order_gets_no_transfer(shopper, vendor_a, emulator):
    from orders import services
    from tests.factories.orders import sellable_variant
    from tests.support.addresses import ADDRESS_DE

    variant = sellable_variant(vendor_a, price=1200)
    cart = services.cart_for(user=shopper, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=variant.pk, quantity=1)
    order = services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="u")
    assert order.status == Order.Status.PENDING_PAYMENT
    assert svc.transfers_create_for_order(order_id=order.pk) == []
    assert svc.transfers_create_for_order(order_id=999_999_999) == []
    assert not Transfer.objects.filter(order=order).exists()


@override_settings(PAYOUTS_HOLD_POLICY="on_shipment")
def test_on_shipment_waits_for_the_shipment(two_vendor_order, vendor_a):
    order = two_vendor_order
    svc.transfers_create_for_order(order_id=order.pk)
    transfer = Transfer.objects.get(order=order, vendor=vendor_a)
    assert transfer.hold_policy == HoldPolicy.ON_SHIPMENT and transfer.release_at is None
    assert svc.transfers_release_due()["sent"] == 0
    shipped_at = timezone.now() - dt.timedelta(minutes=5)
    SubOrder.objects.filter(pk=transfer.sub_order_id).update(
        status=SubOrder.Status.FULFILLED,
        tracking=[{"carrier": "DHL", "tracking_number": "1", "shipped_at": shipped_at.isoformat()}],
    )
    result = svc.transfers_release_due()
    transfer.refresh_from_db()
    assert result["sent"] == 1 and transfer.status == S.TRANSFERRED
    assert abs((transfer.release_at - shipped_at).total_seconds()) < 1


def test_vendor_override_days_after_delivery(two_vendor_order, vendor_a, vendor_b, admin_user):
    svc.vendor_payout_policy_set(vendor_id=vendor_a.pk, hold_policy="days_after_delivery", hold_days=3,
                                 user=admin_user)
    order = two_vendor_order
    svc.transfers_create_for_order(order_id=order.pk)
    ta = Transfer.objects.get(order=order, vendor=vendor_a)
    tb = Transfer.objects.get(order=order, vendor=vendor_b)
    assert ta.hold_policy == "days_after_delivery" and ta.release_at is None
    assert tb.hold_policy == "immediate"
    shipped_at = timezone.now() - dt.timedelta(days=1)
    SubOrder.objects.filter(pk=ta.sub_order_id).update(
        status="fulfilled", tracking=[{"carrier": "UPS", "tracking_number": "2", "shipped_at": shipped_at.isoformat()}])
    svc.transfers_release_due()
    ta.refresh_from_db()
    assert ta.status == S.PENDING
    # Shipped, delivery not confirmed: the grace stands in for the delivery.
    assert abs((ta.release_at - (shipped_at + dt.timedelta(days=3 + 21))).total_seconds()) < 1
    delivered_at = shipped_at + dt.timedelta(hours=20)
    SubOrder.objects.filter(pk=ta.sub_order_id).update(status="delivered", delivered_at=delivered_at)
    svc.transfer_refresh_for_sub_order(sub_order_id=ta.sub_order_id)
    ta.refresh_from_db()
    assert abs((ta.release_at - (delivered_at + dt.timedelta(days=3))).total_seconds()) < 1
    assert svc.transfers_release_due(now=delivered_at + dt.timedelta(days=3) - dt.timedelta(seconds=1))["sent"] == 0
    assert svc.transfers_release_due(now=delivered_at + dt.timedelta(days=3, seconds=1))["sent"] == 1
    ta.refresh_from_db()
    assert ta.status == S.TRANSFERRED
    # removing the override returns to the platform default
    svc.vendor_payout_policy_set(vendor_id=vendor_a.pk, hold_policy=None)
    assert not VendorPayoutPolicy.objects.filter(vendor=vendor_a).exists()


@pytest.mark.parametrize("kwargs,field", [
    ({"hold_policy": "sometimes"}, "hold_policy"),
    ({"hold_policy": "days_after_delivery", "hold_days": 91}, "hold_days"),
    ({"hold_policy": "days_after_delivery", "hold_days": "x"}, "hold_days"),
])
def test_bad_vendor_policy_is_refused(vendor_a, kwargs, field):
    from payouts.errors import PayoutPolicyInvalid

    with pytest.raises(PayoutPolicyInvalid) as error:
        svc.vendor_payout_policy_set(vendor_id=vendor_a.pk, **kwargs)
    assert field in error.value.fields
    assert not VendorPayoutPolicy.objects.filter(vendor=vendor_a).exists()


def test_hold_blocks_release_until_every_reason_is_lifted(two_vendor_order, vendor_a):
    order = two_vendor_order
    sub = order.sub_orders.get(vendor=vendor_a)
    # the hold may come before the transfer exists (the claim opened right after payment)
    transfer = svc.transfer_hold_for_sub_order(sub_order_id=sub.pk, reason="claim:1")
    svc.transfer_hold_for_sub_order(sub_order_id=sub.pk, reason="claim:1")
    svc.transfer_hold_for_sub_order(sub_order_id=sub.pk, reason="dispute:dp_1")
    transfer.refresh_from_db()
    assert transfer.status == S.HELD and set(transfer.hold_reasons) == {"claim:1", "dispute:dp_1"}
    assert svc.transfers_release_due()["sent"] == 1  # the other vendor's
    svc.transfer_release_hold(sub_order_id=sub.pk, reason="claim:1")
    transfer.refresh_from_db()
    assert transfer.status == S.HELD
    assert svc.transfers_release_due()["sent"] == 0
    svc.transfer_release_hold(sub_order_id=sub.pk)
    transfer.refresh_from_db()
    assert transfer.status == S.PENDING and transfer.hold_reasons == {}
    assert svc.transfers_release_due()["sent"] == 1


@override_settings(PAYOUTS_TRANSFER_RETRY_BASE_SECONDS=0)
def test_failed_transfer_is_recorded_retried_and_sent_once(two_vendor_order, vendor_a, connected):
    order = two_vendor_order
    Vendor.objects.filter(pk=vendor_a.pk).update(stripe_account_id="acct_doesnotexist")
    svc.transfers_create_for_order(order_id=order.pk)
    svc.transfers_release_due()
    transfer = Transfer.objects.get(order=order, vendor=vendor_a)
    assert transfer.status == S.FAILED and transfer.attempts == 1 and transfer.last_error
    assert transfer.key_generation == 1 and transfer.stripe_transfer_id == ""
    assert not JournalEntry.objects.filter(kind="transfer", reference_id__startswith="tr_").exclude(
        reference_id__in=Transfer.objects.exclude(stripe_transfer_id="").values("stripe_transfer_id")).exists()
    Vendor.objects.filter(pk=vendor_a.pk).update(stripe_account_id=connected["a"])
    sent = svc.transfer_retry(transfer_id=transfer.pk)
    assert sent.status == S.TRANSFERRED and sent.attempts == 2
    with pytest.raises(TransferStateConflict):
        svc.transfer_retry(transfer_id=transfer.pk)
    assert JournalEntry.objects.filter(kind="transfer", reference_id=sent.stripe_transfer_id).count() == 1


def test_reverse_before_transfer_sends_less_and_after_reverses_on_stripe(two_vendor_order, vendor_a, vendor_b):
    order = two_vendor_order
    sub_a = order.sub_orders.get(vendor=vendor_a)
    sub_b = order.sub_orders.get(vendor=vendor_b)
    svc.transfer_hold_for_sub_order(sub_order_id=sub_a.pk, reason="claim:9")
    ta = svc.transfer_reverse_for_sub_order(sub_order_id=sub_a.pk, amount=500, key="refund:r1", reason="claim")
    svc.transfer_reverse_for_sub_order(sub_order_id=sub_a.pk, amount=500, key="refund:r1", reason="claim")
    assert ta.amount_reversed == 500
    with pytest.raises(TransferReversalInvalid):
        svc.transfer_reverse_for_sub_order(sub_order_id=sub_a.pk, amount=600, key="refund:r1", reason="x")
    with pytest.raises(TransferReversalInvalid) as raised:
        svc.transfer_reverse_for_sub_order(sub_order_id=sub_a.pk, amount=ta.amount, key="refund:r2", reason="x")
    from common.money import format_money

    assert raised.value.message == f"Only {format_money(ta.amount - 500, 'EUR')} can still be taken back."
    svc.transfer_release_hold(sub_order_id=sub_a.pk)
    svc.transfers_release_due()
    ta.refresh_from_db()
    assert ta.status == S.TRANSFERRED and ta.amount_transferred == ta.amount - 500
    assert gateway.transfer_retrieve(transfer_id=ta.stripe_transfer_id).amount == ta.amount - 500

    tb = Transfer.objects.get(sub_order=sub_b)
    assert tb.status == S.TRANSFERRED
    tb = svc.transfer_reverse_for_sub_order(sub_order_id=sub_b.pk, amount=100, key="refund:r3", reason="refund")
    assert tb.status == S.PARTIALLY_REVERSED
    assert gateway.transfer_retrieve(transfer_id=tb.stripe_transfer_id).amount_reversed == 100
    assert vendor_balances(vendor_id=vendor_b.pk, currency="EUR")["available"] == tb.amount - 100
    tb = svc.transfer_reverse_for_sub_order(sub_order_id=sub_b.pk, amount=tb.amount - 100, key="refund:r4",
                                            reason="refund")
    assert tb.status == S.REVERSED and tb.amount_due == 0
    assert JournalEntry.objects.filter(kind="transfer_reversed").count() == 2
    assert unbalanced_entries() == []


@pytest.mark.parametrize("bad", [0, -5, 1.5, True, "10"])
def test_reverse_rejects_bad_amounts(bad):
    with pytest.raises(TransferReversalInvalid):
        svc.transfer_reverse_for_sub_order(sub_order_id=1, amount=bad, key="k", reason="r")


def test_transition_table_is_walked_completely(two_vendor_order):
    """Every allowed move records one event (from, to); a refused one records none."""
    (transfer, *_others) = svc.transfers_create_for_order(order_id=two_vendor_order.pk)
    created = TransferEvent.objects.get(transfer=transfer)
    assert (created.from_status, created.to_status) == ("", S.PENDING)
    for old, allowed in svc.TRANSITIONS.items():
        for new in S.values:
            transfer.status = old
            before = TransferEvent.objects.filter(transfer=transfer).count()
            if new == old or new in allowed:
                event = svc._move(transfer, new, reason="walk")
                assert transfer.status == new
                if new in allowed:
                    assert event is not None and (event.from_status, event.to_status, event.reason) == (old, new, "walk")
                else:
                    assert event is None
                assert TransferEvent.objects.filter(transfer=transfer).count() == before + (new in allowed)
            else:
                with pytest.raises(TransferStateConflict):
                    svc._move(transfer, new)
                assert TransferEvent.objects.filter(transfer=transfer).count() == before
    assert set(svc.TRANSITIONS) == set(S.values)


def test_a_vendor_debt_is_deducted_from_its_next_transfer(two_vendor_order, vendor_a, admin_user):
    from payouts.ledger.services import account_for, adjustment_post
    from payouts.models import AccountCode, TransferReversal

    # the vendor owes 3.00 (e.g. a chargeback recovered "from the balance")
    adjustment_post(key="debt-a", currency="EUR", reason="test debt", created_by=admin_user, lines=[
        (account_for(code=AccountCode.VENDOR_PENDING, currency="EUR", vendor_id=vendor_a.pk), 300),
        (account_for(code=AccountCode.ADJUSTMENTS, currency="EUR"), -300),
    ])
    svc.transfers_create_for_order(order_id=two_vendor_order.pk)
    svc.transfers_release_due()
    transfer = Transfer.objects.get(order=two_vendor_order, vendor=vendor_a)
    assert transfer.status == S.TRANSFERRED
    assert transfer.amount_transferred == transfer.amount - 300 and transfer.amount_reversed == 300
    assert gateway.transfer_retrieve(transfer_id=transfer.stripe_transfer_id).amount == transfer.amount - 300
    assert TransferReversal.objects.get(transfer=transfer).amount == 300
    balances = vendor_balances(vendor_id=vendor_a.pk, currency="EUR")
    assert balances["pending"] == 0 and balances["available"] == transfer.amount - 300
    assert unbalanced_entries() == []


def _ship(sub_order_id: int, when: dt.datetime) -> None:
    SubOrder.objects.filter(pk=sub_order_id).update(
        status=SubOrder.Status.FULFILLED,
        tracking=[{"carrier": "DHL", "tracking_number": "1", "shipped_at": when.isoformat()}])


@override_settings(PAYOUTS_HOLD_POLICY="on_shipment")
def test_release_for_a_shipped_sub_order_sends_once_however_often_it_runs(two_vendor_order, vendor_a):
    """What the task queued after a shipment runs: due → sent; again, the beat, a direct execute →
    the same transfer, one attempt, one ledger entry."""
    order = two_vendor_order
    svc.transfers_create_for_order(order_id=order.pk)
    transfer = Transfer.objects.get(order=order, vendor=vendor_a)
    assert svc.transfer_release_for_sub_order(sub_order_id=transfer.sub_order_id).status == S.PENDING  # not shipped
    _ship(transfer.sub_order_id, timezone.now() - dt.timedelta(seconds=5))

    first = svc.transfer_release_for_sub_order(sub_order_id=transfer.sub_order_id)
    assert first.status == S.TRANSFERRED and first.attempts == 1 and first.stripe_transfer_id
    again = svc.transfer_release_for_sub_order(sub_order_id=transfer.sub_order_id)
    assert svc.transfers_release_due()["sent"] == 0
    svc.transfer_execute(transfer_id=transfer.pk)
    transfer.refresh_from_db()
    assert again.stripe_transfer_id == transfer.stripe_transfer_id == first.stripe_transfer_id
    assert transfer.attempts == 1 and transfer.amount_transferred == transfer.amount
    assert JournalEntry.objects.filter(kind="transfer", key=f"transfer:{first.stripe_transfer_id}").count() == 1
    assert gateway.transfer_retrieve(transfer_id=first.stripe_transfer_id).amount == transfer.amount
    # the gateway key is per transfer (not per run): a replayed request returns the same Stripe transfer
    replay = gateway.transfer_create(
        key=transfer.gateway_key, amount=transfer.amount, currency=transfer.currency,
        destination=vendor_a.stripe_account_id, source_transaction=svc._charge_id(order),
        transfer_group=order.transfer_group or f"order_{order.pk}",
        metadata={"order_id": order.pk, "sub_order_id": transfer.sub_order_id, "vendor_id": transfer.vendor_id})
    assert replay.id == first.stripe_transfer_id


def test_release_for_a_sub_order_keeps_a_days_after_delivery_hold(two_vendor_order, vendor_a, admin_user):
    """A deliberate hold (N days after delivery) is not shortened: only scheduled. Shipped without a
    confirmed delivery, the grace stands in for the delivery (ADR 0079)."""
    svc.vendor_payout_policy_set(vendor_id=vendor_a.pk, hold_policy="days_after_delivery", hold_days=3,
                                 user=admin_user)
    svc.transfers_create_for_order(order_id=two_vendor_order.pk)
    transfer = Transfer.objects.get(order=two_vendor_order, vendor=vendor_a)
    shipped_at = timezone.now() - dt.timedelta(minutes=1)
    _ship(transfer.sub_order_id, shipped_at)
    released = svc.transfer_release_for_sub_order(sub_order_id=transfer.sub_order_id)
    assert released.status == S.PENDING and not released.stripe_transfer_id
    assert abs((released.release_at - (shipped_at + dt.timedelta(days=3 + 21))).total_seconds()) < 1
