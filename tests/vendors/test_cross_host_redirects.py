"""Redirects from one host to another keep the request's port (found by the browser journeys: a
live server on a random port was sent to port 80 when PLATFORM_PORT was not set)."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.factories import UserFactory
from vendors import services

pytestmark = pytest.mark.django_db


class _Keep(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def _no_redirects() -> urllib.request.OpenerDirector:
    opener = urllib.request.build_opener(_Keep)
    opener.addheaders = []
    return opener


def test_accepting_an_invitation_lands_on_the_store_dashboard_at_the_same_port(
    client_for, settings, vendor_a, owner_a
):
    settings.PLATFORM_PORT = ""
    _invitation, secret = services.invitation_create(
        vendor=vendor_a, actor=owner_a, email="sam@example.com", role="staff"
    )
    sam = UserFactory(email="sam@example.com")
    response = client_for("marketplace.localhost:8172", sam).post(f"/sell/invitations/{secret}/")
    assert response.status_code == 302
    assert response["Location"] == f"http://{vendor_a.host}:8172/dashboard/"
    assert vendor_a.memberships.filter(user=sam, role="staff").exists()


def test_stripe_onboarding_link_returns_to_the_same_port(client_for, settings, emulator, vendor_a, owner_a):
    from payments import gateway
    from vendors.models import Vendor

    settings.PLATFORM_PORT = ""
    account = gateway.account_create(vendor_id=vendor_a.pk, country="DE", email="a@example.com",
                                      business_name=vendor_a.name)
    Vendor.objects.filter(pk=vendor_a.pk).update(stripe_account_id=account.id, charges_enabled=False)
    response = client_for(f"{vendor_a.host}:8172", owner_a).post("/dashboard/go-live/stripe/")
    assert response.status_code == 302
    assert "/_emulator/connect/onboarding/" in response["Location"]
    # Leaving the hosted page sends the owner back to the return URL: the same host and port.
    request = urllib.request.Request(response["Location"], data=b"action=later", method="POST")
    with pytest.raises(urllib.error.HTTPError) as redirect:  # not followed: see where it goes
        _no_redirects().open(request, timeout=10)
    assert redirect.value.code == 303
    assert redirect.value.headers["Location"] == f"http://{vendor_a.host}:8172/dashboard/go-live/stripe/return/"
