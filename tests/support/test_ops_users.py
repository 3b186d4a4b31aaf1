"""Ops user management and impersonation: who may, what is refused, what is audited."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import AuditLogEntry
from accounts.tokens import api_token_issue
from tests.factories import UserFactory
from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db


def test_non_staff_are_refused_the_user_pages_and_actions(client_for: Any, buyer: Any) -> None:
    victim = UserFactory()
    client = client_for("marketplace.localhost", buyer)
    assert client.get(f"/ops/users/{victim.pk}/").status_code == 403
    assert client.post(f"/ops/users/{victim.pk}/disable/", {"reason": "x"}).status_code == 403
    assert client.post(f"/ops/users/{victim.pk}/impersonate/").status_code == 403
    victim.refresh_from_db()
    assert victim.is_active


def test_a_disabled_user_cannot_sign_in_nor_use_a_token_and_it_is_audited(
        client_for: Any, admin_user: Any) -> None:
    victim = UserFactory()
    _token, secret = api_token_issue(user=victim, device="phone")
    session = client_for("marketplace.localhost", victim)
    admin = client_for("marketplace.localhost", admin_user)

    response = admin.post(f"/ops/users/{victim.pk}/disable/", {"reason": "chargeback fraud"})

    assert response.status_code == 302
    victim.refresh_from_db()
    assert not victim.is_active
    assert session.get("/api/v1/me/").status_code in (401, 403)
    fresh = client_for("marketplace.localhost")
    assert fresh.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {secret}").status_code == 401
    fresh.post("/accounts/login/", {"login": victim.email, "password": PASSWORD})
    assert fresh.get("/api/v1/me/").status_code in (401, 403)
    entry = AuditLogEntry.objects.get(verb="user.disable", object_pk=str(victim.pk))
    assert entry.actor_id == admin_user.pk and entry.reason == "chargeback fraud"


def test_a_disable_without_a_reason_changes_nothing(client_for: Any, admin_user: Any) -> None:
    victim = UserFactory()
    client_for("marketplace.localhost", admin_user).post(f"/ops/users/{victim.pk}/disable/", {"reason": " "})
    victim.refresh_from_db()
    assert victim.is_active
    assert not AuditLogEntry.objects.filter(verb="user.disable", object_pk=str(victim.pk)).exists()


def test_staff_accounts_cannot_be_impersonated(client_for: Any, admin_user: Any, finance_user: Any) -> None:
    client = client_for("marketplace.localhost", admin_user)
    client.post(f"/ops/users/{finance_user.pk}/impersonate/")
    assert client.get("/api/v1/me/").json()["email"] == admin_user.email
    assert not AuditLogEntry.objects.filter(verb="impersonation.start").exists()


def test_impersonation_is_read_only_shows_a_banner_and_is_audited(client_for: Any, admin_user: Any) -> None:
    target = UserFactory()
    client = client_for("marketplace.localhost", admin_user)

    assert client.post(f"/ops/users/{target.pk}/impersonate/").status_code == 302
    assert client.get("/api/v1/me/").json()["email"] == target.email
    page = client.get("/orders/")
    assert b'id="impersonation-banner"' in page.content
    write = client.post("/api/v1/cart/items/", {"variant_id": 1, "quantity": 1},
                        content_type="application/json")
    assert write.status_code == 403
    assert write.json()["error"]["code"] == "impersonation_read_only"
    assert client.post("/accounts/impersonation/stop/").status_code == 302
    assert client.get("/api/v1/me/").json()["email"] == admin_user.email

    start, stop = (AuditLogEntry.objects.get(verb=verb, object_pk=str(target.pk))
                   for verb in ("impersonation.start", "impersonation.stop"))
    assert start.actor_id == admin_user.pk and stop.actor_id == admin_user.pk


def test_a_vendor_never_sees_another_vendors_entries(client_for: Any, vendor_a: Any, vendor_b: Any,
                                                    owner_a: Any, admin_user: Any) -> None:
    from accounts.audit import audit_action

    audit_action(actor=admin_user, action="listing.takedown", target=vendor_b, reason="Bravo only reason")
    audit_action(actor=admin_user, action="listing.takedown", target=vendor_a, reason="Alpha own reason")
    client = client_for(vendor_a, owner_a)
    for url in ("/dashboard/audit/", "/dashboard/audit/export.csv", "/api/v1/vendor/audit/",
                f"/dashboard/audit/?vendor={vendor_b.pk}", f"/api/v1/vendor/audit/?vendor={vendor_b.pk}"):
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200, url
        assert b"Alpha own reason" in body and b"Bravo only reason" not in body, url


def test_a_disabled_account_cannot_be_impersonated(client_for: Any, admin_user: Any) -> None:
    target = UserFactory(is_active=False)
    client = client_for("marketplace.localhost", admin_user)

    response = client.post(f"/ops/users/{target.pk}/impersonate/")

    assert response.status_code == 302 and response["Location"] == f"/ops/users/{target.pk}/"
    assert client.get("/api/v1/me/").json()["email"] == admin_user.email
    assert not AuditLogEntry.objects.filter(verb="impersonation.start").exists()


def test_re_enabling_an_account_does_not_revive_its_old_tokens_or_sessions(client_for: Any, admin_user: Any) -> None:
    victim = UserFactory()
    _token, secret = api_token_issue(user=victim, device="phone")
    session = client_for("marketplace.localhost", victim)
    admin = client_for("marketplace.localhost", admin_user)

    admin.post(f"/ops/users/{victim.pk}/disable/", {"reason": "account takeover"})
    admin.post(f"/ops/users/{victim.pk}/enable/", {"reason": "owner verified"})

    victim.refresh_from_db()
    assert victim.is_active
    assert client_for("marketplace.localhost").get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {secret}").status_code == 401
    assert session.get("/api/v1/me/").status_code in (401, 403)
