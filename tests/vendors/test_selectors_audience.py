"""Which of a vendor's people hear about something: `vendor_audience_emails` by audience."""

from __future__ import annotations

import pytest

from accounts.roles import VendorRole
from tests.factories import UserFactory
from tests.factories.vendors import MembershipFactory, VendorFactory
from vendors.selectors import Audience, vendor_audience_emails

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    """A vendor with one active member per role, a former manager and a support address, next
    to another vendor with an owner and a support address of its own."""
    vendor = VendorFactory(support_email="help@shop.example.com")
    for role in (VendorRole.OWNER, VendorRole.MANAGER, VendorRole.STAFF):
        MembershipFactory(vendor=vendor, role=role, user=UserFactory(email=f"{role}@shop.example.com"))
    MembershipFactory(vendor=vendor, role=VendorRole.MANAGER, is_active=False,
                      user=UserFactory(email="former@shop.example.com"))
    other = VendorFactory(support_email="help@other.example.com")
    MembershipFactory(vendor=other, role=VendorRole.OWNER, user=UserFactory(email="owner@other.example.com"))
    return vendor


@pytest.mark.parametrize("audience,expected", [
    (Audience.OWNERS, ["owner@shop.example.com"]),
    (Audience.ORDERS, ["help@shop.example.com", "manager@shop.example.com", "owner@shop.example.com"]),
    (Audience.TEAM, ["manager@shop.example.com", "owner@shop.example.com", "staff@shop.example.com"]),
])
def test_each_audience_is_its_active_members_of_this_vendor_only(team, audience, expected):
    assert vendor_audience_emails(vendor_id=team.pk, audience=audience) == expected


def test_a_support_address_that_is_also_a_member_is_listed_once(team):
    team.support_email = "owner@shop.example.com"
    team.save(update_fields=["support_email"])
    assert vendor_audience_emails(vendor_id=team.pk, audience=Audience.ORDERS) == [
        "manager@shop.example.com", "owner@shop.example.com"]


def test_a_vendor_without_members_or_support_address_has_no_audience():
    vendor = VendorFactory(support_email="")
    assert all(vendor_audience_emails(vendor_id=vendor.pk, audience=audience) == []
               for audience in Audience)
