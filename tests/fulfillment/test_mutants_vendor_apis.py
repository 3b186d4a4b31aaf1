"""The vendor-host APIs refuse whoever is not the host vendor's member with the needed role, and
change nothing when they refuse (each case kills a hand-made mutant of fulfillment/apis.py or
payouts/apis_vendor.py; docs/mutation.md)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from fulfillment.models import Shipment, VendorOrder
from orders.models import Order
from payouts import transfers as svc
from payouts.models import Transfer
from tests.factories import UserFactory
from tests.factories.orders import paid_orders, sellable_variant
from tests.factories.vendors import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def emulator(gateway_on_emulator):
    return gateway_on_emulator


@pytest.fixture
def paid_order(shopper, emulator):
    return paid_orders(shopper)


@pytest.fixture
def vendor_order(paid_order, vendor_a, in_schema):
    paid_order((vendor_a, sellable_variant(vendor_a, price=1500, stock=5, name="Harbor Lantern"), 2))
    with in_schema(vendor_a):
        vendor_order = VendorOrder.objects.get()
        vendor_order.line = vendor_order.lines.get()
        return vendor_order


def _api(vendor, user):
    api = APIClient(HTTP_HOST=vendor.host)
    api.force_authenticate(user)
    return api


def _member(vendor, role):
    user = UserFactory(email=f"{role}-{vendor.slug}-api@example.com")
    MembershipFactory(user=user, vendor=vendor, role=role)
    return user


@pytest.mark.parametrize("who", ["other_vendor_owner", "buyer"])
def test_outsiders_can_neither_list_read_nor_ship_vendor_orders(who, vendor_order, vendor_a, owner_b, in_schema):
    user = owner_b if who == "other_vendor_owner" else UserFactory(email="plain-buyer-api@example.com")
    api = _api(vendor_a, user)
    base = f"/api/v1/vendor/orders/{vendor_order.pk}"
    assert api.get("/api/v1/vendor/orders/").status_code == 403
    assert api.get(f"{base}/").status_code == 403
    shipped = api.post(f"{base}/shipments/", {"carrier": "UPS", "tracking_number": "1Z999AA10123456784",
                                              "lines": {str(vendor_order.line.pk): 1}}, format="json")
    assert shipped.status_code == 403
    with in_schema(vendor_a):
        assert not Shipment.objects.exists()
        assert VendorOrder.objects.get().status == vendor_order.status


def test_staff_list_read_and_ship(vendor_order, vendor_a, in_schema):
    api = _api(vendor_a, _member(vendor_a, "staff"))
    listed = api.get("/api/v1/vendor/orders/")
    assert listed.status_code == 200 and [o["id"] for o in listed.json()["results"]] == [vendor_order.pk]
    assert api.get(f"/api/v1/vendor/orders/{vendor_order.pk}/").status_code == 200
    shipped = api.post(f"/api/v1/vendor/orders/{vendor_order.pk}/shipments/",
                       {"carrier": "UPS", "tracking_number": "1Z999AA10123456784", "lines": {str(vendor_order.line.pk): 1}},
                       format="json")
    assert shipped.status_code == 201


def test_only_managers_and_owners_see_the_vendors_money(vendor_order, vendor_a):
    svc.transfers_create_for_order(order_id=Order.objects.get().pk)
    transfer = Transfer.objects.get(vendor=vendor_a)
    urls = ["/api/v1/vendor/money/", f"/api/v1/vendor/money/transfers/{transfer.pk}/"]
    staff = _api(vendor_a, _member(vendor_a, "staff"))
    assert [staff.get(url).status_code for url in urls] == [403, 403]
    manager = _api(vendor_a, _member(vendor_a, "manager"))
    assert [manager.get(url).status_code for url in urls] == [200, 200]
    assert manager.get(urls[1]).json()["amount"] == transfer.amount
