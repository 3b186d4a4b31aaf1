"""Cancelling a line refunds the buyer: the vendor's staff role cannot (page or API), a manager can."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from catalog.models import StockAdjustment, Variant
from fulfillment.models import VendorOrder, VendorOrderEvent, VendorOrderLine
from orders.models import OrderEvent, SubOrder
from payouts.models import JournalEntry, Transfer
from tests.factories import UserFactory
from tests.factories.orders import sellable_variant
from tests.factories.vendors import MembershipFactory
from tests.support.state import rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor_order(paid_order, vendor_a, in_schema):
    paid_order((vendor_a, sellable_variant(vendor_a, price=1500, stock=5, name="Harbor Lantern"), 2))
    with in_schema(vendor_a):
        vendor_order = VendorOrder.objects.get()
        vendor_order.line = vendor_order.lines.get()
        return vendor_order


def _member(vendor, role):
    user = UserFactory(email=f"{role}-orders@example.com")
    MembershipFactory(user=user, vendor=vendor, role=role)
    return user


def _state(vendor_order, in_schema, vendor):
    """What a cancel writes: the vendor's copy and its lines, the buyer's order, refunds' money."""
    with in_schema(vendor):
        vendor_side = rows(VendorOrder, VendorOrderLine, VendorOrderEvent, Variant, StockAdjustment)
    return vendor_side, rows(SubOrder, OrderEvent, JournalEntry, Transfer)


def _cancelled(vendor_order, in_schema, vendor):
    with in_schema(vendor):
        vendor_order.line.refresh_from_db()
        return vendor_order.line.cancelled_quantity


def test_staff_cannot_cancel_on_the_page_and_sees_no_cancel_form(vendor_order, vendor_a, client_for, in_schema):
    page = client_for(vendor_a, _member(vendor_a, "staff"))
    url = f"/dashboard/orders/{vendor_order.pk}/lines/{vendor_order.line.pk}/cancel/"
    detail = page.get(f"/dashboard/orders/{vendor_order.pk}/")
    assert detail.status_code == 200 and b"Mark shipped" in detail.content  # staff still ship
    assert url.encode() not in detail.content
    before = _state(vendor_order, in_schema, vendor_a)
    assert page.post(url, {"quantity": 1}).status_code == 403
    assert _state(vendor_order, in_schema, vendor_a) == before


def test_staff_cannot_cancel_through_the_api_and_a_manager_can(vendor_order, vendor_a, in_schema):
    url = f"/api/v1/vendor/orders/{vendor_order.pk}/lines/{vendor_order.line.pk}/cancel/"
    api = APIClient(HTTP_HOST=vendor_a.host)
    api.force_authenticate(_member(vendor_a, "staff"))
    before = _state(vendor_order, in_schema, vendor_a)
    assert api.post(url, {"quantity": 1}, format="json").status_code == 403
    assert _state(vendor_order, in_schema, vendor_a) == before
    api.force_authenticate(_member(vendor_a, "manager"))
    assert api.post(url, {"quantity": 1}, format="json").status_code == 200
    assert _cancelled(vendor_order, in_schema, vendor_a) == 1


def test_a_manager_cancels_on_the_page(vendor_order, vendor_a, client_for, in_schema):
    page = client_for(vendor_a, _member(vendor_a, "manager"))
    url = f"/dashboard/orders/{vendor_order.pk}/lines/{vendor_order.line.pk}/cancel/"
    assert url.encode() in page.get(f"/dashboard/orders/{vendor_order.pk}/").content
    assert page.post(url, {"quantity": 1}).status_code == 302
    assert _cancelled(vendor_order, in_schema, vendor_a) == 1
