"""A buyer cancels one vendor's part of a paid order before it ships: refunded in full (items,
tax, shipping) through the emulator, stock back, the ledger balanced and the vendor's payable
back where it was; the other vendor's part and other buyers are untouched."""

from __future__ import annotations

import json
import urllib.request

import pytest

from fulfillment import services as fulfillment_services
from fulfillment.models import VendorOrder
from orders.models import Order, OrderEvent, SubOrder
from payouts.ledger.selectors import unbalanced_entries, vendor_balances
from payouts.models import JournalEntry, Transfer
from tests.factories import UserFactory
from tests.factories.orders import paid_orders, sellable_variant, shipping_rate, variant_stock
from tests.support.state import rows

pytestmark = pytest.mark.django_db


# A paid order from the factory (no webhook round trip); its PaymentIntent is real on the session's
# emulator, which the refunds and transfers under test go through.
@pytest.fixture
def emulator(gateway_on_emulator):
    return gateway_on_emulator


@pytest.fixture
def paid_order(shopper, emulator):
    return paid_orders(shopper)


HOST = "marketplace.localhost"


def _refunds(emulator, payment_intent_id: str) -> list[dict]:
    with urllib.request.urlopen(emulator.url + "/_emulator/state", timeout=10) as response:
        refunds = json.loads(response.read())["objects"].get("refund", [])
    return [r for r in refunds if r["payment_intent"] == payment_intent_id]


@pytest.fixture
def two_vendor_order(paid_order, vendor_a, vendor_b):
    shipping_rate(vendor_a, name="Parcel", base_amount=490)
    va = sellable_variant(vendor_a, price=2000, stock=5)
    vb = sellable_variant(vendor_b, price=3000, stock=5)
    before = vendor_balances(vendor_id=vendor_a.pk, currency="EUR")
    order = paid_order((vendor_a, va, 2), (vendor_b, vb, 1))
    return order, va, vb, before


def test_buyer_cancels_one_vendors_part_and_gets_all_of_it_back(
    two_vendor_order, shopper, vendor_a, vendor_b, client_for, emulator, mailoutbox,
    django_capture_on_commit_callbacks, in_schema,
):
    order, va, vb, before = two_vendor_order
    sub_a = order.sub_orders.get(vendor=vendor_a)
    assert sub_a.shipping_amount == 490 and variant_stock(vendor_a, va.pk) == 3
    page = client_for(HOST, shopper)
    detail = page.get(f"/orders/{order.pk}/").content.decode()
    assert f'action="/orders/{order.pk}/parts/{sub_a.pk}/cancel/"' in detail

    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(f"/orders/{order.pk}/parts/{sub_a.pk}/cancel/", follow=True)
    assert response.status_code == 200
    assert "is cancelled" in response.content.decode()

    sub_a.refresh_from_db()
    assert sub_a.status == SubOrder.Status.REFUNDED and sub_a.refunded_amount == sub_a.total_amount
    refunds = _refunds(emulator, order.payment_intent_id)
    assert sum(r["amount"] for r in refunds) == sub_a.total_amount  # items, tax and shipping
    assert variant_stock(vendor_a, va.pk) == 5
    # The vendor's payable is back where it was before the order; the ledger balances.
    assert vendor_balances(vendor_id=vendor_a.pk, currency="EUR")["pending"] == before["pending"]
    assert unbalanced_entries() == []
    # The other vendor's part stands; the order as a whole is still paid.
    assert order.sub_orders.get(vendor=vendor_b).status == SubOrder.Status.PAID
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID
    assert variant_stock(vendor_b, vb.pk) == 4
    with in_schema(vendor_a):
        assert VendorOrder.objects.get(sub_order_id=sub_a.pk).status == VendorOrder.Status.CANCELLED
    # The history says the buyer did it: the part's move and each refund, shown to the buyer too.
    from orders.models import OrderEvent

    moved = OrderEvent.objects.get(sub_order=sub_a, kind="sub_order.refunded")
    assert (moved.from_status, moved.actor_id, moved.actor_kind, moved.audience) == (
        "paid", shopper.pk, "buyer", "buyer")
    refund_events = OrderEvent.objects.filter(sub_order=sub_a, kind="sub_order.refund")
    assert sum(e.data["amount"] for e in refund_events) == sub_a.total_amount
    assert {e.actor_kind for e in refund_events} == {"buyer"}
    with in_schema(vendor_a):
        from fulfillment.models import VendorOrderEvent

        assert VendorOrderEvent.objects.filter(kind="vendor_order.cancelled", actor_id=shopper.pk).count() == 1
    # The vendor's team hears it must not ship.
    owner = vendor_a.memberships.get(role="owner").user
    assert any(owner.email in m.to and order.number in m.subject for m in mailoutbox)

    # Twice is refused with a reason, and refunds nothing more.
    again = page.post(f"/orders/{order.pk}/parts/{sub_a.pk}/cancel/", follow=True)
    assert "can no longer be cancelled" in again.content.decode()
    assert len(_refunds(emulator, order.payment_intent_id)) == len(refunds)


def test_nothing_can_be_cancelled_once_part_of_it_shipped(two_vendor_order, shopper, vendor_a, client_for,
                                                          emulator, in_schema):
    order, va, _vb, _before = two_vendor_order
    sub_a = order.sub_orders.get(vendor=vendor_a)
    with in_schema(vendor_a):
        copy = VendorOrder.objects.get(sub_order_id=sub_a.pk)
        line = copy.lines.get()
        fulfillment_services.vendor_order_ship(vendor_order_id=copy.pk, quantities={line.pk: 1}, carrier="DHL",
                                               tracking_number="JD014600003000000000")
    # The public sub-order may not be synced yet: the vendor's own record decides, under its lock.
    api = client_for(HOST, shopper)
    response = api.post(f"/api/v1/orders/{order.pk}/parts/{sub_a.pk}/cancel/")
    assert response.status_code == 409
    assert _refunds(emulator, order.payment_intent_id) == []
    assert variant_stock(vendor_a, va.pk) == 3


def test_the_api_cancels_even_before_the_vendor_copy_exists(paid_order, shopper, vendor_a, client_for, emulator,
                                                            in_schema):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1500, stock=2), 1), copies=False)
    sub = order.sub_orders.get()
    response = client_for(HOST, shopper).post(f"/api/v1/orders/{order.pk}/parts/{sub.pk}/cancel/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "refunded" and body["sub_orders"][0]["status"] == "refunded"
    assert sum(r["amount"] for r in _refunds(emulator, order.payment_intent_id)) == order.total_amount


def test_another_buyer_cannot_cancel(two_vendor_order, vendor_a, client_for, emulator, in_schema):
    order, va, _vb, _before = two_vendor_order
    sub_a = order.sub_orders.get(vendor=vendor_a)
    stranger = client_for(HOST, UserFactory(email="stranger@example.com"))

    def state():
        with in_schema(vendor_a):
            vendor_side = rows(VendorOrder.objects.filter(order_id=order.pk))
        return (rows(Order.objects.filter(pk=order.pk), SubOrder.objects.filter(order=order),
                     OrderEvent.objects.filter(order=order), JournalEntry, Transfer),
                vendor_side, variant_stock(vendor_a, va.pk))

    before = state()
    assert stranger.post(f"/orders/{order.pk}/parts/{sub_a.pk}/cancel/").status_code == 404
    assert state() == before
    assert stranger.post(f"/api/v1/orders/{order.pk}/parts/{sub_a.pk}/cancel/").status_code == 404
    assert state() == before
    # Nor can a sub-order of another order be reached through one's own order.
    assert _refunds(emulator, order.payment_intent_id) == []
    assert SubOrder.objects.get(pk=sub_a.pk).status == SubOrder.Status.PAID
