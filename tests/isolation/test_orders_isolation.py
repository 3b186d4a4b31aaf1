"""Orders and fulfilment isolation: vendors see only their own orders; buyers only their own."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from fulfillment.models import VendorOrder
from orders.models import Order, OrderEvent, OrderLine, SubOrder
from payments.models import PaymentRecord
from tests.factories import UserFactory
from tests.factories.orders import paid_orders, sellable_variant
from tests.support.state import rows

pytestmark = pytest.mark.django_db


# A paid order from the factory, its payment recorded without Stripe: nothing here moves money.
@pytest.fixture
def paid_order(shopper):
    return paid_orders(shopper, payment="recorded")


@pytest.fixture
def two_vendor_order(paid_order, vendor_a, vendor_b):
    va = sellable_variant(vendor_a, stock=5, name="Alpha Secret Lamp")
    vb = sellable_variant(vendor_b, stock=5, name="Bravo Mug")
    return paid_order((vendor_a, va, 1), (vendor_b, vb, 1))


def test_vendor_b_dashboard_lists_only_its_own_order_lines(two_vendor_order, client_for, vendor_a, vendor_b,
                                                            owner_b, in_schema):
    with in_schema(vendor_a):
        a_copy = VendorOrder.objects.get()
    client = client_for(vendor_b, owner_b)
    listing = client.get("/dashboard/orders/").content.decode()
    with in_schema(vendor_b):
        b_copy = VendorOrder.objects.get()
    assert f"/dashboard/orders/{b_copy.pk}/" in listing
    detail = client.get(f"/dashboard/orders/{b_copy.pk}/").content.decode()
    assert "Bravo Mug" in detail and "Alpha Secret Lamp" not in detail
    # Ids are per schema: A's id may exist in B's schema only as B's own order.
    if a_copy.pk != b_copy.pk:
        assert client.get(f"/dashboard/orders/{a_copy.pk}/").status_code == 404
    assert client.get("/dashboard/orders/999999/").status_code == 404


def test_vendor_b_api_never_returns_a_orders(two_vendor_order, vendor_b, owner_b):
    api = APIClient(HTTP_HOST=vendor_b.host)
    api.force_authenticate(owner_b)
    body = api.get("/api/v1/vendor/orders/").json()
    assert len(body["results"]) == 1
    detail = api.get(f"/api/v1/vendor/orders/{body['results'][0]['id']}/").json()
    assert [line["name"] for line in detail["lines"]] == ["Bravo Mug"]
    missing = api.get("/api/v1/vendor/orders/999999/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "vendor_order_not_found"


def test_owner_of_a_cannot_use_the_fulfilment_pages_or_api_of_b(two_vendor_order, client_for, vendor_b,
                                                                owner_a, in_schema):
    with in_schema(vendor_b):
        b_copy = VendorOrder.objects.get()
        line = b_copy.lines.get()
    client = client_for(vendor_b, owner_a)
    assert client.get("/dashboard/orders/").status_code == 404
    assert client.post(f"/dashboard/orders/{b_copy.pk}/ship/",
                       {f"qty_{line.pk}": 1, "carrier": "X", "tracking_number": "Y"}).status_code == 404
    api = APIClient(HTTP_HOST=vendor_b.host)
    api.force_authenticate(owner_a)
    assert api.post(f"/api/v1/vendor/orders/{b_copy.pk}/lines/{line.pk}/cancel/", {"quantity": 1},
                    format="json").status_code == 403
    with in_schema(vendor_b):
        line.refresh_from_db()
        assert line.shipped_quantity == 0 and line.cancelled_quantity == 0


def _order_state(order):
    return rows(Order.objects.filter(pk=order.pk), SubOrder.objects.filter(order=order),
                OrderLine.objects.filter(order=order), OrderEvent.objects.filter(order=order),
                PaymentRecord.objects.all())


def test_buyer_y_never_sees_buyer_xs_order(two_vendor_order, client_for):
    other = UserFactory(email="y@example.com")
    client = client_for("marketplace.localhost", other)
    assert client.get(f"/orders/{two_vendor_order.pk}/").status_code == 404
    assert client.get(f"/checkout/return/{two_vendor_order.pk}/").status_code == 404
    assert client.get(f"/orders/{two_vendor_order.pk}/status/").status_code == 404
    before = _order_state(two_vendor_order)
    assert client.post(f"/orders/{two_vendor_order.pk}/pay/").status_code == 404
    assert _order_state(two_vendor_order) == before
    assert str(two_vendor_order.number) not in client.get("/orders/").content.decode()
    api = APIClient(HTTP_HOST="marketplace.localhost")
    api.force_authenticate(other)
    response = api.get(f"/api/v1/orders/{two_vendor_order.pk}/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "order_not_found"
    assert api.get("/api/v1/orders/").json()["results"] == []


def test_sync_task_reads_only_the_sub_orders_own_vendor_schema(two_vendor_order, vendor_a, vendor_b, in_schema):
    """B's copy carrying A's sub-order id would be ignored: the sync reads A's schema only."""
    from orders.services import sub_order_sync

    sub_a = two_vendor_order.sub_orders.get(vendor=vendor_a)
    with in_schema(vendor_b):
        VendorOrder.objects.update(status="shipped")
    synced = sub_order_sync(sub_order_id=sub_a.pk)
    assert synced.status == "paid" and synced.tracking == []


def test_vendor_b_never_sees_a_vendor_order_or_sub_order_events(two_vendor_order, client_for, vendor_a, vendor_b,
                                                                  owner_a, owner_b, in_schema):
    """A's shipment (its own event, in A's schema) and the move of A's sub-order (public) appear on
    A's dashboard page and the buyer's page, never on B's dashboard page."""
    from fulfillment import services as fulfilment
    from orders.models import OrderEvent
    from orders.services import sub_order_sync

    a_sub = two_vendor_order.sub_orders.get(vendor=vendor_a)
    with in_schema(vendor_a):
        a_copy = VendorOrder.objects.get()
        fulfilment.vendor_order_ship(vendor_order_id=a_copy.pk, quantities={a_copy.lines.get().pk: 1},
                                     carrier="other", carrier_name="AlphaPost", tracking_number="ALPHATRACK1", user=owner_a)
    sub_order_sync(sub_order_id=a_sub.pk)
    assert OrderEvent.objects.filter(sub_order=a_sub, kind="sub_order.fulfilled").exists()

    a_page = client_for(vendor_a, owner_a).get(f"/dashboard/orders/{a_copy.pk}/").content.decode()
    assert "ALPHATRACK1" in a_page and 'data-event="sub_order.fulfilled"' in a_page
    with in_schema(vendor_b):
        b_copy = VendorOrder.objects.get()
    b_page = client_for(vendor_b, owner_b).get(f"/dashboard/orders/{b_copy.pk}/").content.decode()
    assert 'data-event="vendor_order.received"' in b_page  # B's own history is there
    assert "ALPHATRACK1" not in b_page and "AlphaPost" not in b_page
    assert 'data-event="sub_order.fulfilled"' not in b_page and vendor_a.name not in b_page
