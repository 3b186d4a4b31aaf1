"""Vendor B's orders on B's host: list, read and ship only for B's team, refused to everyone else."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from fulfillment.models import Shipment, VendorOrder, VendorOrderLine
from orders.addresses import Address
from tests.factories import OrderFactory, UserFactory
from tests.factories.orders import sellable_variant
from tests.factories.vendors import MembershipFactory

pytestmark = pytest.mark.django_db

ADDRESSEE = "Brigitte Bravobuyer"


@pytest.fixture
def b_order(vendor_b: Any) -> dict[str, Any]:
    buyer = UserFactory(email="bravo-buyer@example.com")
    variant = sellable_variant(vendor_b, price=2400, stock=6, name="Bravo Copper Kettle")
    address = Address(name=ADDRESSEE, line1="Kesselweg 7", line2="", city="Köln", region="", postal_code="50667",
                      country="DE")
    order = OrderFactory(buyer=buyer, items=[(vendor_b, variant, 2)], address=address, vendor_copies=True)
    with schema_context(vendor_b.store.schema_name):
        vendor_order = VendorOrder.objects.get(sub_order_id=order.sub_orders.get().pk)
        line = vendor_order.lines.get()
    return {"buyer": buyer, "number": vendor_order.order_number, "id": vendor_order.pk, "line": line.pk}


def _state(vendor: Any) -> dict[str, list[dict[str, Any]]]:
    """Every fulfilment row of the vendor's schema, whole: any change by a refused call shows here."""
    with schema_context(vendor.store.schema_name):
        return {model.__name__: list(model.objects.order_by("pk").values())
                for model in (VendorOrder, VendorOrderLine, Shipment)}


def _outsider(name: str, b_order: dict[str, Any], owner_a: Any) -> Any:
    if name == "signed-in non-member":
        return UserFactory(email="no-vendor@example.com")
    if name == "the order's own buyer":
        return b_order["buyer"]
    return owner_a  # a member, owner even, of another vendor


OUTSIDERS = ("signed-in non-member", "the order's own buyer", "vendor A's owner")


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_cannot_list_read_or_ship_b_orders_through_the_api(who, b_order, vendor_b, owner_a):
    api = APIClient(HTTP_HOST=vendor_b.host)
    api.force_authenticate(_outsider(who, b_order, owner_a))
    before = _state(vendor_b)
    url = f"/api/v1/vendor/orders/{b_order['id']}/"

    listed = api.get("/api/v1/vendor/orders/")
    read = api.get(url)
    shipped = api.post(f"{url}shipments/", {"carrier": "UPS", "tracking_number": "1ZOUTSIDER0000000A",
                                            "lines": {str(b_order["line"]): 1}}, format="json")

    for response in (listed, read, shipped):
        assert response.status_code == 403, (response.request["PATH_INFO"], response.status_code)
        assert response.json()["error"]["code"]
        body = response.content.decode()
        assert b_order["number"] not in body and ADDRESSEE not in body
    assert _state(vendor_b) == before


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_cannot_list_read_or_ship_b_orders_on_the_dashboard(who, b_order, vendor_b, owner_a, client_for):
    page = client_for(vendor_b, _outsider(who, b_order, owner_a))
    before = _state(vendor_b)
    url = f"/dashboard/orders/{b_order['id']}/"

    for response in (page.get("/dashboard/orders/"), page.get(url),
                     page.post(f"{url}ship/", {f"qty_{b_order['line']}": 1, "carrier": "DHL",
                                               "tracking_number": "JD000000000000000009"})):
        assert response.status_code == 404  # not a member: B's dashboard does not exist for them
        assert b_order["number"] not in response.content.decode()
    assert _state(vendor_b) == before


def test_a_owner_on_a_own_host_reaches_no_b_order_by_its_id(b_order, vendor_a, vendor_b, owner_a):
    api = APIClient(HTTP_HOST=vendor_a.host)
    api.force_authenticate(owner_a)
    before = _state(vendor_b)
    with schema_context(vendor_a.store.schema_name):
        assert not VendorOrder.objects.filter(pk=b_order["id"]).exists()  # else A would be reading its own

    assert b_order["number"] not in api.get("/api/v1/vendor/orders/").content.decode()
    assert api.get(f"/api/v1/vendor/orders/{b_order['id']}/").status_code == 404
    shipped = api.post(f"/api/v1/vendor/orders/{b_order['id']}/shipments/",
                       {"carrier": "UPS", "tracking_number": "1Z000000000000000A", "lines": {str(b_order["line"]): 1}}, format="json")
    assert shipped.status_code == 404
    assert _state(vendor_b) == before


def test_b_staff_member_lists_reads_and_ships_the_same_order(b_order, vendor_b):
    """The control: the same calls by B's least-privileged role succeed, so the refusals above are
    refusals of the person, not of a malformed request."""
    staff = UserFactory(email="bravo-staff@example.com")
    MembershipFactory(user=staff, vendor=vendor_b, role="staff")
    api = APIClient(HTTP_HOST=vendor_b.host)
    api.force_authenticate(staff)
    url = f"/api/v1/vendor/orders/{b_order['id']}/"

    assert b_order["number"] in api.get("/api/v1/vendor/orders/").content.decode()
    assert api.get(url).json()["order_number"] == b_order["number"]
    shipped = api.post(f"{url}shipments/", {"carrier": "UPS", "tracking_number": "1ZSTAFF00000000000",
                                            "lines": {str(b_order["line"]): 1}}, format="json")
    assert shipped.status_code == 201
    with schema_context(vendor_b.store.schema_name):
        assert VendorOrder.objects.get(pk=b_order["id"]).status == "partially_shipped"
        assert Shipment.objects.get(vendor_order_id=b_order["id"]).tracking_number == "1ZSTAFF00000000000"
