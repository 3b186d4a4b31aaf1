"""Vendor dashboard pages and API for orders: list, detail, ship, cancel; errors as 4xx."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from fulfillment.models import VendorOrder
from tests.factories.orders import paid_orders, sellable_variant, variant_stock

pytestmark = pytest.mark.django_db


# A paid order from the factory (no webhook round trip); its PaymentIntent is real on the session's
# emulator, which the refunds and transfers under test go through.
@pytest.fixture
def emulator(gateway_on_emulator):
    return gateway_on_emulator


@pytest.fixture
def paid_order(shopper, emulator):
    return paid_orders(shopper)


@pytest.fixture
def vendor_order(paid_order, vendor_a, in_schema):
    va = sellable_variant(vendor_a, price=1500, stock=5, name="Harbor Lantern")
    paid_order((vendor_a, va, 2))
    with in_schema(vendor_a):
        vendor_order = VendorOrder.objects.get()
        vendor_order.line = vendor_order.lines.get()
        return vendor_order


def test_dashboard_list_and_detail(vendor_order, client_for, vendor_a, owner_a, django_assert_max_num_queries):
    client = client_for(vendor_a, owner_a)
    with django_assert_max_num_queries(15):
        listing = client.get("/dashboard/orders/")
    assert vendor_order.order_number in listing.content.decode()
    filtered = client.get("/dashboard/orders/?status=shipped", HTTP_HX_REQUEST="true").content.decode()
    assert "No orders yet." in filtered and "<html" not in filtered
    with django_assert_max_num_queries(15):
        detail = client.get(f"/dashboard/orders/{vendor_order.pk}/")
    assert "Harbor Lantern" in detail.content.decode() and "Mark shipped" in detail.content.decode()


def test_ship_from_the_dashboard_and_errors_as_form_errors(vendor_order, client_for, vendor_a, owner_a, in_schema):
    client = client_for(vendor_a, owner_a)
    line = vendor_order.line
    bad = client.post(f"/dashboard/orders/{vendor_order.pk}/ship/", {f"qty_{line.pk}": 5, "carrier": "DHL",
                                                                      "tracking_number": "1"})
    assert bad.status_code == 422 and "ship between 1 and 2" in bad.content.decode()
    ok = client.post(f"/dashboard/orders/{vendor_order.pk}/ship/", {f"qty_{line.pk}": 1, "carrier": "DHL",
                                                                     "tracking_number": "JD000000000000000001"})
    assert ok.status_code == 302
    with in_schema(vendor_a):
        vendor_order.refresh_from_db()
        assert vendor_order.status == "partially_shipped"


def test_cancel_from_the_dashboard_refunds_and_returns_stock(vendor_order, client_for, vendor_a, owner_a, in_schema):
    line = vendor_order.line
    before = variant_stock(vendor_a, line.variant_id)
    response = client_for(vendor_a, owner_a).post(
        f"/dashboard/orders/{vendor_order.pk}/lines/{line.pk}/cancel/", {"quantity": 1})
    assert response.status_code == 302
    assert variant_stock(vendor_a, line.variant_id) == before + 1
    with in_schema(vendor_a):
        line.refresh_from_db()
        assert line.cancelled_quantity == 1 and line.refunded_amount == 1500


def test_vendor_api_ship_and_cancel(vendor_order, vendor_a, owner_a):
    api = APIClient(HTTP_HOST=vendor_a.host)
    api.force_authenticate(owner_a)
    line = vendor_order.line
    shipped = api.post(f"/api/v1/vendor/orders/{vendor_order.pk}/shipments/",
                       {"carrier": "UPS", "tracking_number": "1Z999AA10123456784", "lines": {str(line.pk): 1}}, format="json")
    assert shipped.status_code == 201 and shipped.json()["shipments"][0]["tracking_number"] == "1Z999AA10123456784"
    bad = api.post(f"/api/v1/vendor/orders/{vendor_order.pk}/shipments/",
                   {"carrier": "UPS", "tracking_number": "1Z999AA10123456784", "lines": {str(line.pk): 9}}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_shipment"
    cancelled = api.post(f"/api/v1/vendor/orders/{vendor_order.pk}/lines/{line.pk}/cancel/", {"quantity": 1},
                         format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "shipped"
    closed = api.post(f"/api/v1/vendor/orders/{vendor_order.pk}/lines/{line.pk}/cancel/", {"quantity": 1},
                      format="json")
    assert closed.status_code == 409
