"""Delivered by hand, the payout N days after delivery, reviews after delivery; packing slips,
labels and customs, and another vendor reaching none of them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from rest_framework.test import APIClient

from catalog.models import Product
from fulfillment import services
from fulfillment.carriers import carrier_get
from fulfillment.models import ShipmentLabel, VendorOrder
from orders.models import OrderLine, SubOrder
from orders.services import sub_order_sync
from payouts import transfers
from payouts.models import Transfer
from reviews.eligibility import line_reviewable_by, received_lines_q
from tests.factories.orders import paid_orders, sellable_variant
from tests.support.stripe import connect

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    """The text the (uncompressed) PDF shows: its string operands, joined."""
    return " ".join(m.decode("latin-1") for m in re.findall(rb"\((.*?)\)\s*Tj", pdf))


@pytest.fixture
def order_a(shopper: Any, gateway_on_emulator: Any, vendor_a: Any) -> Any:
    variant = sellable_variant(vendor_a, price=2400, stock=5, name="Trail Stove")
    return paid_orders(shopper)((vendor_a, variant, 2))


def _copy(vendor: Any, order: Any, in_schema: Any) -> VendorOrder:
    with in_schema(vendor):
        return VendorOrder.objects.get(sub_order_id=order.sub_orders.get().pk)


def _ship_all(vendor: Any, order: Any, in_schema: Any, number: str = "JD000000000000000077") -> VendorOrder:
    with in_schema(vendor):
        copy = VendorOrder.objects.get(sub_order_id=order.sub_orders.get().pk)
        services.vendor_order_ship(vendor_order_id=copy.pk, quantities={line.pk: line.open_quantity
                                                                        for line in copy.lines.all()},
                                   carrier="dhl", tracking_number=number)
        return copy


def test_vendor_marks_a_pickup_delivered_and_the_timeline_says_so(order_a: Any, vendor_a: Any, owner_a: Any,
                                                                   client_for: Any, in_schema: Any) -> None:
    client = client_for(vendor_a, owner_a)
    copy = _copy(vendor_a, order_a, in_schema)
    early = client.post(f"/dashboard/orders/{copy.pk}/delivered/", {"note": "Picked up"})
    assert early.status_code == 422 and "Only an order shipped in full" in early.content.decode()
    _ship_all(vendor_a, order_a, in_schema)
    done = client.post(f"/dashboard/orders/{copy.pk}/delivered/", {"note": "Picked up at the shop"})
    assert done.status_code == 302
    with in_schema(vendor_a):
        copy.refresh_from_db()
        assert copy.status == VendorOrder.Status.DELIVERED and copy.delivered_at is not None
        event = copy.events.get(kind="vendor_order.delivered")
        assert event.actor_kind == "vendor" and event.actor_id == owner_a.pk and event.reason == "Picked up at the shop"
        shipment = copy.shipments.get()
        assert shipment.status == "delivered" and shipment.tracking_events.get().source == "vendor"
    page = client.get(f"/dashboard/orders/{copy.pk}/").content.decode()
    assert "Picked up at the shop" in page and "Mark delivered" not in page
    again = client.post(f"/dashboard/orders/{copy.pk}/delivered/", {})
    assert again.status_code == 422  # already delivered


def test_days_after_delivery_counts_from_the_delivery_not_the_shipment(
    today: Any, order_a: Any, vendor_a: Any, in_schema: Any, gateway_on_emulator: Any, settings: Any,
) -> None:
    settings.PAYOUTS_HOLD_POLICY, settings.PAYOUTS_HOLD_DAYS = "days_after_delivery", 3
    connect(vendor_a, gateway_on_emulator)
    transfers.transfers_create_for_order(order_id=order_a.pk)
    sub = order_a.sub_orders.get()
    copy = _ship_all(vendor_a, order_a, in_schema)
    sub_order_sync(sub_order_id=sub.pk)
    transfer = transfers.transfer_refresh_for_sub_order(sub_order_id=sub.pk)
    shipped_at = dt.datetime.fromisoformat(SubOrder.objects.get(pk=sub.pk).tracking[0]["shipped_at"])
    # Shipped but not delivered: not before the grace has passed too.
    assert transfer.release_at == shipped_at + dt.timedelta(days=3 + settings.PAYOUTS_DELIVERY_GRACE_DAYS)

    with in_schema(vendor_a):
        services.vendor_order_mark_delivered(vendor_order_id=copy.pk)
        delivered_at = VendorOrder.objects.get(pk=copy.pk).delivered_at
    sub_order_sync(sub_order_id=sub.pk)
    assert SubOrder.objects.get(pk=sub.pk).delivered_at == delivered_at
    transfer = transfers.transfer_release_for_sub_order(sub_order_id=sub.pk)
    due = delivered_at + dt.timedelta(days=3)
    assert transfer.status == Transfer.Status.PENDING and transfer.release_at == due
    assert transfers.transfers_release_due(now=due - dt.timedelta(seconds=1))["sent"] == 0
    assert transfers.transfers_release_due(now=due + dt.timedelta(seconds=1))["sent"] == 1
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.TRANSFERRED


def test_reviews_stay_open_after_delivery(order_a: Any, vendor_a: Any, in_schema: Any, shopper: Any) -> None:
    line = OrderLine.objects.select_related("order", "sub_order").get(order=order_a)
    assert not line_reviewable_by(line, shopper)  # not shipped yet
    copy = _ship_all(vendor_a, order_a, in_schema)
    with in_schema(vendor_a):
        services.vendor_order_mark_delivered(vendor_order_id=copy.pk)
    sub_order_sync(sub_order_id=line.sub_order_id)
    line = OrderLine.objects.select_related("order", "sub_order").get(pk=line.pk)
    assert line.sub_order.status == SubOrder.Status.DELIVERED
    assert line_reviewable_by(line, shopper)
    assert OrderLine.objects.filter(received_lines_q(), pk=line.pk).exists()


def test_packing_slip_lists_the_items_for_the_buyer(order_a: Any, vendor_a: Any, owner_a: Any, client_for: Any,
                                                    in_schema: Any) -> None:
    copy = _copy(vendor_a, order_a, in_schema)
    response = client_for(vendor_a, owner_a).get(f"/dashboard/orders/{copy.pk}/packing-slip.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    text = _text(response.content)
    assert "Packing slip" in text and copy.order_number in text and "2 x Trail Stove" in text
    assert copy.ship_name in text and "Customs declaration" not in text  # domestic


def test_international_label_needs_customs_data_then_carries_the_declaration(
    order_a: Any, vendor_a: Any, owner_a: Any, client_for: Any, in_schema: Any,
) -> None:
    client = client_for(vendor_a, owner_a)
    with in_schema(vendor_a):
        copy = VendorOrder.objects.get(sub_order_id=order_a.sub_orders.get().pk)
        VendorOrder.objects.filter(pk=copy.pk).update(ship_country="CH")  # the vendor is in DE
        line = copy.lines.get()
    refused = client.post(f"/dashboard/orders/{copy.pk}/labels/", {"label_carrier": "dhl"})
    assert refused.status_code == 422
    assert f"add an HS code and a country of origin to the products of {line.sku}" in refused.content.decode()
    with in_schema(vendor_a):
        assert not ShipmentLabel.objects.exists()
        Product.objects.filter(pk=line.product_id).update(hs_code="732111", origin_country="DE")
    slip = _text(client.get(f"/dashboard/orders/{copy.pk}/packing-slip.pdf").content)
    assert "Customs declaration" in slip and "HS 732111" in slip
    assert client.post(f"/dashboard/orders/{copy.pk}/labels/", {"label_carrier": "dhl"}).status_code == 302
    with in_schema(vendor_a):
        label = ShipmentLabel.objects.get()
    assert label.international and carrier_get("dhl").accepts(label.tracking_number)
    pdf = client.get(f"/dashboard/orders/{copy.pk}/labels/{label.pk}.pdf")
    assert pdf.status_code == 200
    text = _text(pdf.content)
    assert label.tracking_number in text and "origin DE" in text and "Total declared value" in text
    # The ship form offers the label's number, which passes the carrier's check.
    page = client.get(f"/dashboard/orders/{copy.pk}/").content.decode()
    assert f'value="{label.tracking_number}"' in page
    response = client.post(f"/dashboard/orders/{copy.pk}/ship/", {f"qty_{line.pk}": 2, "carrier": "dhl",
                                                                  "tracking_number": label.tracking_number})
    assert response.status_code == 302


def test_a_label_for_a_carrier_without_numeric_numbers_is_refused(order_a: Any, vendor_a: Any, owner_a: Any,
                                                                  client_for: Any, in_schema: Any) -> None:
    copy = _copy(vendor_a, order_a, in_schema)
    response = client_for(vendor_a, owner_a).post(f"/dashboard/orders/{copy.pk}/labels/", {"label_carrier": "ups"})
    assert response.status_code == 422 and "local label service" in response.content.decode()


def test_another_vendor_reaches_no_slip_label_or_tracking(order_a: Any, vendor_a: Any, vendor_b: Any, owner_b: Any,
                                                          owner_a: Any, client_for: Any, in_schema: Any) -> None:
    copy = _copy(vendor_a, order_a, in_schema)
    assert client_for(vendor_a, owner_a).post(f"/dashboard/orders/{copy.pk}/labels/",
                                              {"label_carrier": "dhl"}).status_code == 302
    _ship_all(vendor_a, order_a, in_schema)
    with in_schema(vendor_a):
        label = ShipmentLabel.objects.get()
    with in_schema(vendor_b):
        assert not VendorOrder.objects.filter(pk=copy.pk).exists()  # B's ids never meet A's here
    stranger = client_for(vendor_b, owner_b)
    for url in (f"/dashboard/orders/{copy.pk}/packing-slip.pdf", f"/dashboard/orders/{copy.pk}/labels/{label.pk}.pdf",
                f"/dashboard/orders/{copy.pk}/"):
        assert stranger.get(url).status_code == 404, url
    assert stranger.post(f"/dashboard/orders/{copy.pk}/delivered/", {}).status_code == 404
    with in_schema(vendor_a):
        assert VendorOrder.objects.get(pk=copy.pk).status == VendorOrder.Status.SHIPPED
    # On A's host without membership: refused too.
    assert client_for(vendor_a, owner_b).get(f"/dashboard/orders/{copy.pk}/packing-slip.pdf").status_code in (302, 403,
                                                                                                              404)


def test_vendor_api_marks_delivered_only_when_shipped_in_full(order_a: Any, vendor_a: Any, owner_a: Any,
                                                               in_schema: Any) -> None:
    api = APIClient(HTTP_HOST=vendor_a.host)
    api.force_authenticate(owner_a)
    copy = _copy(vendor_a, order_a, in_schema)
    url = f"/api/v1/vendor/orders/{copy.pk}/delivered/"
    early = api.post(url, {"note": "Picked up"}, format="json")
    assert early.status_code == 409 and early.json()["error"]["code"] == "vendor_order_closed"
    _ship_all(vendor_a, order_a, in_schema)
    done = api.post(url, {"note": "Picked up"}, format="json")
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "delivered" and body["delivered_at"] and body["shipments"][0]["status"] == "delivered"
