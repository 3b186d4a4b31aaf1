"""One vendor part, several ways to refund it: a claim, the vendor cancelling units, the buyer
cancelling the part. Whatever their order (one after the other, before the vendor's copy exists,
before a sync ran, or at the same instant), the buyer never gets back more than was paid, every
path sees what the others refunded, and the ledger balances."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from disputes import services
from disputes.errors import OverRefund
from disputes.models import Claim
from fulfillment import services as fulfillment_services
from fulfillment.models import VendorOrder
from fulfillment.tasks import vendor_order_copy
from orders.models import OrderLine, SubOrder
from orders.services import sub_order_cancel_by_buyer, sub_order_sync
from payments import gateway
from payouts.ledger.selectors import vendor_balances
from tests.factories.orders import paid_orders, sellable_variant, shipping_rate, variant_stock
from tests.support.ledger import ledger_balanced


# A paid order from the factory (no webhook round trip); its PaymentIntent is real on the session's
# emulator, which the refunds and transfers under test go through.
@pytest.fixture
def emulator(gateway_on_emulator):
    return gateway_on_emulator


@pytest.fixture
def paid_order(buyer, emulator):
    return paid_orders(buyer)


def _stripe_refunded(order) -> int:
    charges = gateway._client().v1.charges.list(params={"payment_intent": order.payment_intent_id}).data
    return sum(int(charge.amount_refunded) for charge in charges)


def _claim(buyer, order, qty):
    sub = order.sub_orders.get()
    return services.claim_open(buyer=buyer, order_id=order.pk, sub_order_id=sub.pk, reason="not_received",
                               description="Nothing has come yet", lines={sub.lines.get().pk: qty})


@pytest.mark.django_db
def test_buyer_cancelling_after_a_partial_claim_refund_gets_back_only_the_rest(
    buyer, vendor_a, owner_a, paid_order, in_schema,
):
    shipping_rate(vendor_a, name="Parcel", base_amount=490)
    variant = sellable_variant(vendor_a, price=2000, stock=5)
    before = vendor_balances(vendor_id=vendor_a.pk, currency="EUR")
    order = paid_order((vendor_a, variant, 2))
    claim = _claim(buyer, order, qty=2)
    services.claim_accept(claim_id=claim.pk, vendor=vendor_a, user=owner_a, amount=500)
    assert _stripe_refunded(order) == 500

    sub = sub_order_cancel_by_buyer(user=buyer, order_id=order.pk, sub_order_id=order.sub_orders.get().pk)

    # Items, tax and shipping come back once in all: the claim's 500 is not paid a second time.
    assert sub.status == SubOrder.Status.REFUNDED
    assert sub.refunded_amount == sub.total_amount == order.total_amount
    assert _stripe_refunded(order) == order.total_amount
    line = OrderLine.objects.get(sub_order=sub)
    with in_schema(vendor_a):
        copy = VendorOrder.objects.get(sub_order_id=sub.pk)
        assert copy.refunded_amount == sub.total_amount
        assert copy.lines.get().refunded_amount == line.refunded_amount
    assert variant_stock(vendor_a, variant.pk) == 5
    assert ledger_balanced()
    # The vendor's pending funds are back where they were: the commission it paid on the
    # claim's part and on the rest was handed back in proportion, not twice.
    assert vendor_balances(vendor_id=vendor_a.pk, currency="EUR")["pending"] == before["pending"]


@pytest.mark.django_db
def test_a_claim_refunded_before_the_vendor_copy_exists_is_carried_into_it(
    buyer, vendor_a, owner_a, paid_order, in_schema,
):
    variant = sellable_variant(vendor_a, price=1800, stock=3)
    order = paid_order((vendor_a, variant, 1), copies=False)
    sub = order.sub_orders.get()
    claim = _claim(buyer, order, qty=1)
    services.claim_accept(claim_id=claim.pk, vendor=vendor_a, user=owner_a, amount=300)

    vendor_order_copy(sub.pk)  # the copy task runs only now
    with in_schema(vendor_a):
        copy = VendorOrder.objects.get(sub_order_id=sub.pk)
        assert copy.refunded_amount == 300 and copy.lines.get().refunded_amount == 300
    # Syncing the public part from the copy keeps the claim's refund instead of zeroing it.
    sub_order_sync(sub_order_id=sub.pk)
    sub.refresh_from_db()
    assert sub.refunded_amount == 300 and OrderLine.objects.get(sub_order=sub).refunded_amount == 300

    sub_order_cancel_by_buyer(user=buyer, order_id=order.pk, sub_order_id=sub.pk)
    assert _stripe_refunded(order) == order.total_amount
    assert ledger_balanced()


@pytest.mark.django_db
def test_a_claim_sees_units_the_vendor_cancelled_before_the_sync_ran(
    buyer, vendor_a, owner_a, paid_order, in_schema,
):
    variant = sellable_variant(vendor_a, price=2500, stock=4)
    order = paid_order((vendor_a, variant, 2))
    sub = order.sub_orders.get()
    line = OrderLine.objects.get(sub_order=sub)
    claim = _claim(buyer, order, qty=2)
    with in_schema(vendor_a):
        copy = VendorOrder.objects.get(sub_order_id=sub.pk)
        fulfillment_services.vendor_order_line_cancel(vendor_order_id=copy.pk, line_id=copy.lines.get().pk,
                                                      quantity=1, user=owner_a)
    # Its sync is queued for after the commit and has not run: the public line still says nothing
    # was refunded. The claim still pays back only the unit that was not cancelled.
    assert OrderLine.objects.get(pk=line.pk).refunded_amount == 0
    charge = services.line_charge(line, order)
    services.claim_accept(claim_id=claim.pk, vendor=vendor_a, user=owner_a)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.RESOLVED_REFUND_FULL
    assert claim.refunded_amount == charge - charge // 2
    assert _stripe_refunded(order) == charge
    assert OrderLine.objects.get(pk=line.pk).refunded_amount == charge
    assert ledger_balanced()


@pytest.mark.django_db
def test_nothing_left_to_refund_is_a_clear_refusal_that_writes_nothing(
    buyer, vendor_a, owner_a, paid_order,
):
    variant = sellable_variant(vendor_a, price=1200, stock=2)
    order = paid_order((vendor_a, variant, 1))
    claim = _claim(buyer, order, qty=1)
    sub_order_cancel_by_buyer(user=buyer, order_id=order.pk, sub_order_id=order.sub_orders.get().pk)
    with pytest.raises(OverRefund) as refused:
        services.claim_accept(claim_id=claim.pk, vendor=vendor_a, user=owner_a)
    assert refused.value.code == "nothing_to_refund"
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.OPEN
    assert _stripe_refunded(order) == order.total_amount


@pytest.mark.django_db(transaction=True)
def test_claim_refund_and_buyer_cancellation_at_the_same_instant_refund_once(
    buyer, vendor_a, owner_a, paid_order,
):
    shipping_rate(vendor_a, name="Parcel", base_amount=490)
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=3000, stock=3), 1))
    sub = order.sub_orders.get()
    claim = _claim(buyer, order, qty=1)
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def run(name, action):
        try:
            barrier.wait(timeout=10)
            action()
            results[name] = "ok"
        except OverRefund as exc:
            results[name] = exc.code
        except Exception as exc:  # reported by the assertions below
            results[name] = repr(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=("claim", lambda: services.claim_accept(
            claim_id=claim.pk, vendor=vendor_a, user=owner_a))),
        # As the page and the API call it: the service makes its own transaction.
        threading.Thread(target=run, args=("cancel", lambda: sub_order_cancel_by_buyer(
            user=buyer, order_id=order.pk, sub_order_id=sub.pk))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Whichever came first, the second saw it: the claim refunds the item and the cancellation
    # only the shipping, or the cancellation refunds everything and the claim finds nothing left.
    assert results["cancel"] == "ok"
    assert results["claim"] in ("ok", "nothing_to_refund")
    sub.refresh_from_db()
    assert sub.status == SubOrder.Status.REFUNDED and sub.refunded_amount == sub.total_amount
    assert _stripe_refunded(order) == order.total_amount
    assert ledger_balanced()
