"""The vendor-order transition table, walked completely, and the events the vendor's actions record."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from fulfillment import services
from fulfillment.errors import VendorOrderStateConflict
from fulfillment.events import VENDOR_ORDER_TRANSITIONS, vendor_order_move
from fulfillment.models import VendorOrder, VendorOrderEvent
from orders.models import OrderEvent
from tests.factories.orders import sellable_variant

pytestmark = pytest.mark.django_db

_sub_order_ids = iter(range(900_000, 999_999))


def _vendor_order(status: str) -> VendorOrder:
    return VendorOrder.objects.create(
        sub_order_id=next(_sub_order_ids), order_id=1, order_number="000001", payment_intent_id="pi_x",
        status=status, buyer_email="b@example.com", currency="EUR", tax_display="inclusive",
        subtotal_amount=100, shipping_amount=0, tax_amount=0, total_amount=100, shipping_name="S",
        ship_name="B", ship_line1="L", ship_city="C", ship_postal_code="1", ship_country="DE",
        placed_at=timezone.now(),
    )


@pytest.mark.parametrize("source", list(VendorOrder.Status.values))
def test_vendor_order_table_every_pair(source: str, vendor_a: Any, owner_a: Any, in_schema: Any) -> None:
    with in_schema(vendor_a):
        for target in VendorOrder.Status.values:
            if target == source:
                continue
            vendor_order = _vendor_order(source)
            if target in VENDOR_ORDER_TRANSITIONS[source]:
                event = vendor_order_move(vendor_order=vendor_order, to=target, user=owner_a, actor_kind="vendor")
                assert event is not None
                assert (event.from_status, event.to_status, event.actor_id, event.actor_email) == (
                    source, target, owner_a.pk, owner_a.email)
                vendor_order.refresh_from_db()
                assert vendor_order.status == target
            else:
                with pytest.raises(VendorOrderStateConflict):
                    vendor_order_move(vendor_order=vendor_order, to=target)
                vendor_order.refresh_from_db()
                assert vendor_order.status == source
                assert not VendorOrderEvent.objects.filter(vendor_order=vendor_order).exists()
    assert set(VENDOR_ORDER_TRANSITIONS) == set(VendorOrder.Status.values)


def test_received_shipped_and_cancelled_are_recorded_with_who_did_it(
    paid_order: Any, vendor_a: Any, owner_a: Any, in_schema: Any
) -> None:
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1500, stock=5), 3))
    sub = order.sub_orders.get()
    with in_schema(vendor_a):
        copy = VendorOrder.objects.get()
        line = copy.lines.get()
        services.vendor_order_ship(vendor_order_id=copy.pk, quantities={line.pk: 1}, carrier="DHL",
                                   tracking_number="JD000000000000000001", user=owner_a)
        services.vendor_order_ship(vendor_order_id=copy.pk, quantities={line.pk: 1}, carrier="DHL",
                                   tracking_number="JD000000000000000002", user=owner_a)
        services.vendor_order_line_cancel(vendor_order_id=copy.pk, line_id=line.pk, quantity=1, user=owner_a)
        events = list(VendorOrderEvent.objects.filter(vendor_order=copy).order_by("id"))
    assert [(e.kind, e.from_status, e.to_status) for e in events] == [
        ("vendor_order.received", "", "new"),
        ("vendor_order.partially_shipped", "new", "partially_shipped"),
        ("vendor_order.shipment", "", ""),
        ("vendor_order.shipped", "partially_shipped", "shipped"),
    ]
    assert {e.actor_id for e in events[1:]} == {owner_a.pk}
    assert events[2].data["tracking_number"] == "JD000000000000000002"
    # The cancelled unit's refund is an order event the buyer sees; payouts posted it to the ledger.
    refund = OrderEvent.objects.get(sub_order=sub, kind="sub_order.refund")
    assert (refund.actor_id, refund.actor_kind, refund.audience) == (owner_a.pk, "vendor", "buyer")
    assert refund.data["amount"] == 1500 and refund.data["currency"] == "EUR"
    from payouts.models import JournalEntry

    assert JournalEntry.objects.filter(kind="refund", reference_id=refund.data["refund_id"]).count() == 1
