"""Impersonation on a vendor's own dashboard: started in ops on the platform host, handed to the
vendor's host by a one-time signed token; read-only and bannered there, audited, never for staff,
never on another vendor's host, never twice."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from accounts.models import AuditLogEntry
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
PLATFORM = "marketplace.localhost"


def _handoff(client_for: Any, admin_user: Any, user: Any, vendor: Any) -> tuple[Any, str]:
    """The admin's start in ops: (the response, the path with the token on the vendor's host)."""
    response = client_for(PLATFORM, admin_user).post(f"/ops/users/{user.pk}/impersonate/vendor/{vendor.pk}/")
    location = urlsplit(response.get("Location", ""))
    return response, f"{location.path}?{location.query}" if location.query else location.path


def test_an_admin_sees_the_vendor_dashboard_as_its_member_read_only_bannered_and_audited(
        client_for: Any, admin_user: Any, vendor_a: Any, owner_a: Any) -> None:
    response, path = _handoff(client_for, admin_user, owner_a, vendor_a)
    assert response.status_code == 302
    assert urlsplit(response["Location"]).hostname == vendor_a.host
    assert path.startswith("/accounts/impersonation/handoff/?token=")

    browser = client_for(vendor_a)  # the admin's browser on the vendor's host: no session there yet
    landed = browser.get(path)
    assert (landed.status_code, landed["Location"]) == (302, "/dashboard/")
    dashboard = browser.get("/dashboard/")
    assert dashboard.status_code == 200
    assert b'id="impersonation-banner"' in dashboard.content and owner_a.email.encode() in dashboard.content

    page_write = browser.post("/dashboard/storefront/", {"tagline": "changed while impersonating"})
    assert page_write.status_code == 403 and b"read-only" in page_write.content
    api_write = browser.post("/api/v1/vendor/products/", {"name": "x"}, content_type="application/json")
    assert api_write.status_code == 403
    assert api_write.json()["error"]["code"] == "impersonation_read_only"

    start = AuditLogEntry.objects.get(verb="impersonation.start", object_pk=str(owner_a.pk))
    assert (start.actor_id, start.acting_as_id, start.vendor_id) == (admin_user.pk, owner_a.pk, vendor_a.pk)
    assert start.changes["host"] == [None, vendor_a.host]

    stopped = browser.post("/accounts/impersonation/stop/")
    assert stopped.status_code == 302
    assert stopped["Location"] == f"http://{PLATFORM}/ops/users/{owner_a.pk}/"
    after = browser.get("/dashboard/")
    assert after.status_code == 302 and "/accounts/login/" in after["Location"]  # signed out, not the admin
    stop = AuditLogEntry.objects.get(verb="impersonation.stop", object_pk=str(owner_a.pk))
    assert (stop.actor_id, stop.vendor_id) == (admin_user.pk, vendor_a.pk)


def test_a_staff_member_of_a_vendor_cannot_be_impersonated_there(
        client_for: Any, admin_user: Any, vendor_a: Any, finance_user: Any) -> None:
    MembershipFactory(user=finance_user, vendor=vendor_a, role="manager")

    response, _path = _handoff(client_for, admin_user, finance_user, vendor_a)

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == f"/ops/users/{finance_user.pk}/"  # back, with the reason
    assert not AuditLogEntry.objects.filter(verb="impersonation.start").exists()


def test_a_handoff_is_refused_if_its_user_became_staff_before_it_was_used(
        client_for: Any, admin_user: Any, vendor_a: Any, owner_a: Any) -> None:
    _response, path = _handoff(client_for, admin_user, owner_a, vendor_a)
    type(owner_a).objects.filter(pk=owner_a.pk).update(platform_role="admin")

    browser = client_for(vendor_a)
    refused = browser.get(path)

    assert refused.status_code == 403
    assert browser.get("/dashboard/").status_code == 302  # nobody signed in
    assert not AuditLogEntry.objects.filter(verb="impersonation.start").exists()


def test_vendor_a_handoff_cannot_be_replayed_on_vendor_b_nor_twice_on_a(
        client_for: Any, admin_user: Any, vendor_a: Any, vendor_b: Any, owner_a: Any) -> None:
    # Even a user who is a member of both stores: the token names A's host.
    both = UserFactory()
    MembershipFactory(user=both, vendor=vendor_a, role="manager")
    MembershipFactory(user=both, vendor=vendor_b, role="manager")
    _response, path = _handoff(client_for, admin_user, both, vendor_a)

    on_b = client_for(vendor_b)
    assert on_b.get(path).status_code == 403
    assert on_b.get("/dashboard/").status_code == 302
    assert client_for(vendor_a).get(path).status_code == 302  # its one use, on its own host
    replay = client_for(vendor_a)
    assert replay.get(path).status_code == 403
    assert replay.get("/dashboard/").status_code == 302
    assert AuditLogEntry.objects.filter(verb="impersonation.start", object_pk=str(both.pk)).count() == 1


def test_a_forged_or_foreign_token_signs_nobody_in(client_for: Any, vendor_a: Any) -> None:
    browser = client_for(vendor_a)
    for token in ("", "garbage", "eyJhZG1pbiI6MX0:1abc:forged"):
        assert browser.get(f"/accounts/impersonation/handoff/?token={token}").status_code == 403
    assert browser.get("/dashboard/").status_code == 302
