"""Refunds move money: the vendor's staff role (which may not see money) cannot accept a claim or
mark a return received (page or API); a manager can."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from disputes import services
from disputes.models import Claim
from tests.factories import UserFactory
from tests.factories.orders import sellable_variant
from tests.factories.vendors import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(buyer, vendor_a, paid_order):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1500, stock=3), 1))
    sub = order.sub_orders.get(vendor=vendor_a)
    return services.claim_open(buyer=buyer, order_id=order.pk, sub_order_id=sub.pk, reason="damaged",
                               description="Scratched", lines={sub.lines.first().pk: 1})


def _member(vendor, role):
    user = UserFactory(email=f"{role}-claims@example.com")
    MembershipFactory(user=user, vendor=vendor, role=role)
    return user


def test_staff_cannot_accept_a_claim_on_the_page_and_sees_no_accept_form(claim, vendor_a, client_for):
    page = client_for(vendor_a, _member(vendor_a, "staff"))
    detail = page.get(f"/dashboard/claims/{claim.pk}/")
    assert detail.status_code == 200 and b"vendor-claim-accept" not in detail.content
    assert f"/dashboard/claims/{claim.pk}/accept/".encode() not in detail.content
    assert page.post(f"/dashboard/claims/{claim.pk}/accept/", {"refund": "full"}).status_code == 403
    assert page.post(f"/dashboard/claims/{claim.pk}/return-received/").status_code == 403
    claim.refresh_from_db()
    assert claim.status == "open" and claim.refunded_amount == 0


def test_staff_cannot_accept_a_claim_through_the_api_and_a_manager_can(claim, vendor_a):
    api = APIClient(HTTP_HOST=vendor_a.host)
    api.force_authenticate(_member(vendor_a, "staff"))
    refused = api.post(f"/api/v1/vendor/claims/{claim.pk}/accept/", {}, format="json")
    assert refused.status_code == 403
    assert api.post(f"/api/v1/vendor/claims/{claim.pk}/return-received/", {}, format="json").status_code == 403
    claim.refresh_from_db()
    assert claim.status == "open"
    api.force_authenticate(_member(vendor_a, "manager"))
    accepted = api.post(f"/api/v1/vendor/claims/{claim.pk}/accept/", {}, format="json")
    assert accepted.status_code == 200, accepted.content
    claim.refresh_from_db()
    assert claim.status != Claim.Status.OPEN


def test_a_manager_accepts_on_the_page(claim, vendor_a, client_for):
    page = client_for(vendor_a, _member(vendor_a, "manager"))
    assert f"/dashboard/claims/{claim.pk}/accept/".encode() in page.get(f"/dashboard/claims/{claim.pk}/").content
    assert page.post(f"/dashboard/claims/{claim.pk}/accept/", {"refund": "full"}).status_code == 302
    claim.refresh_from_db()
    assert claim.status != Claim.Status.OPEN
