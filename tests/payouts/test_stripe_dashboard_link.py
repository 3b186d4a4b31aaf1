"""The Money page's button to the vendor's Stripe Express dashboard (single-use login links)."""

from __future__ import annotations

import urllib.request

import pytest

from accounts.roles import VendorRole
from tests.factories import MembershipFactory
from tests.support.stripe import connect
from vendors.models import Vendor

pytestmark = pytest.mark.django_db


def test_owner_goes_to_the_express_dashboard_of_its_own_account(vendor_a, owner_a, emulator, client_for):
    account = connect(vendor_a, emulator)
    client = client_for(vendor_a, owner_a)
    page = client.get("/dashboard/money/").content.decode()
    assert "Open your Stripe Express dashboard" in page and "disabled" not in page.split('id="stripe-dashboard"')[1][:400]

    response = client.post("/dashboard/money/stripe-dashboard/")

    assert response.status_code == 302
    assert response["Location"] == f"{emulator.url}/_emulator/connect/dashboard/{account}"
    with urllib.request.urlopen(response["Location"], timeout=10) as landing:
        assert b"Express dashboard" in landing.read()
    assert client.get("/dashboard/money/stripe-dashboard/").status_code == 405


def test_a_manager_may_and_staff_may_not(vendor_a, emulator, client_for):
    connect(vendor_a, emulator)
    manager = MembershipFactory(vendor=vendor_a, role=VendorRole.MANAGER).user
    staff = MembershipFactory(vendor=vendor_a, role=VendorRole.STAFF).user

    assert client_for(vendor_a, manager).post("/dashboard/money/stripe-dashboard/").status_code == 302
    assert client_for(vendor_a, staff).post("/dashboard/money/stripe-dashboard/").status_code == 403


@pytest.mark.parametrize("state", [{"stripe_account_id": ""}, {"stripe_details_submitted": False}])
def test_not_onboarded_gets_a_clear_message_and_no_link(vendor_a, owner_a, emulator, client_for, state):
    connect(vendor_a, emulator)
    Vendor.objects.filter(pk=vendor_a.pk).update(**state)
    client = client_for(vendor_a, owner_a)
    page = client.get("/dashboard/money/").content.decode()
    assert "Available once Stripe onboarding is complete." in page

    response = client.post("/dashboard/money/stripe-dashboard/", follow=True)

    assert response.redirect_chain[0] == ("/dashboard/money/", 302)
    assert "Your Stripe account is not set up yet" in response.content.decode()


def test_stripe_refusing_the_link_is_shown_not_raised(vendor_a, owner_a, emulator, client_for):
    """Our state says onboarded, Stripe's does not (a webhook not applied yet): Stripe's reason."""
    from payments import gateway

    account = gateway.account_create(vendor_id=vendor_a.pk, country="DE", email="a@example.com",
                                     business_name=vendor_a.name)
    Vendor.objects.filter(pk=vendor_a.pk).update(stripe_account_id=account.id, stripe_details_submitted=True)

    response = client_for(vendor_a, owner_a).post("/dashboard/money/stripe-dashboard/", follow=True)

    assert response.status_code == 200
    assert "Stripe did not open your dashboard" in response.content.decode()


def test_another_vendor_cannot_open_or_reach_this_dashboard(vendor_a, vendor_b, owner_b, emulator, client_for):
    account_a = connect(vendor_a, emulator)
    account_b = connect(vendor_b, emulator)

    other_host = client_for(vendor_a, owner_b).post("/dashboard/money/stripe-dashboard/")
    assert other_host.status_code in (302, 403, 404)
    assert account_a not in other_host.get("Location", "")
    own = client_for(vendor_b, owner_b).post("/dashboard/money/stripe-dashboard/")
    assert own["Location"].endswith(account_b) and account_a not in own["Location"]
