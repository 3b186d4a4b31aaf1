"""API tokens expire, are one per device, die with the password or a change of second factor,
need a confirmed email address, and can be listed and revoked from the account page."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import ApiToken
from tests.factories.accounts import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
PLATFORM = "marketplace.localhost"
NEW_PASSWORD = "another-pass-5678"


def _issue(client: Any, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/api/v1/auth/token/", {"email": email, "password": password, **extra},
                       content_type="application/json")


def _me(client: Any, token: str) -> int:
    return client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code


def test_a_token_carries_its_expiry_and_stops_working_after_it(client_for: Any) -> None:
    user = UserFactory(email="expiring@example.com")
    client = client_for(PLATFORM)
    body = _issue(client, user.email, device="laptop").json()
    assert body["device"] == "laptop"
    expiry = timezone.datetime.fromisoformat(body["expiry"])
    assert timedelta(days=29) < expiry - timezone.now() <= timedelta(days=30)
    assert _me(client, body["token"]) == 200
    ApiToken.objects.filter(user=user).update(expiry=timezone.now() - timedelta(seconds=1))
    assert _me(client, body["token"]) == 401


def test_one_token_per_device(client_for: Any) -> None:
    user = UserFactory(email="devices@example.com")
    client = client_for(PLATFORM)
    first_laptop = _issue(client, user.email, device="laptop").json()["token"]
    phone = _issue(client, user.email, device="phone").json()["token"]
    second_laptop = _issue(client, user.email, device="laptop").json()["token"]
    assert _me(client, first_laptop) == 401
    assert _me(client, phone) == 200 and _me(client, second_laptop) == 200
    assert sorted(ApiToken.objects.filter(user=user).values_list("device", flat=True)) == ["laptop", "phone"]


def test_changing_the_password_revokes_every_token(client_for: Any) -> None:
    user = UserFactory(email="changer@example.com")
    api = client_for(PLATFORM)
    token = _issue(api, user.email).json()["token"]
    page = client_for(PLATFORM, user)
    changed = page.post("/accounts/password/change/", {
        "oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert changed.status_code == 302
    assert _me(api, token) == 401


def test_a_password_reset_revokes_every_token(client_for: Any, vendor_a: Any) -> None:
    user = UserFactory(email="resetter@example.com")
    api = client_for(PLATFORM)
    token = _issue(api, user.email).json()["token"]
    page = client_for(vendor_a)  # any host
    assert page.post("/accounts/password/reset/", {"email": user.email}).status_code == 302
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    form = page.get(link.group(1))
    form_url = form["Location"] if form.status_code == 302 else link.group(1)
    done = page.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302, done.content.decode()[:2000]
    assert _me(api, token) == 401
    assert _issue(api, user.email, NEW_PASSWORD).status_code == 200


def test_turning_on_two_factor_revokes_every_token(client_for: Any,
                                                  django_capture_on_commit_callbacks: Any) -> None:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    user = UserFactory(email="enrols@example.com")
    api = client_for(PLATFORM)
    token = _issue(api, user.email).json()["token"]
    page = client_for(PLATFORM, user)
    confirm = page.get("/accounts/2fa/totp/activate/")
    assert page.post(confirm["Location"], {"password": PASSWORD}).status_code == 302
    html = page.get("/accounts/2fa/totp/activate/").content.decode()
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]{32})"', html)
    assert secret
    code = format_hotp_value(hotp_value(secret.group(1), int(time.time()) // 30))
    with django_capture_on_commit_callbacks(execute=True):  # allauth signals it on commit
        assert page.post("/accounts/2fa/totp/activate/", {"code": code}).status_code == 302
    assert _me(api, token) == 401


def test_the_account_page_lists_and_revokes_ones_own_tokens(client_for: Any) -> None:
    user = UserFactory(email="lister@example.com")
    other = UserFactory(email="other-holder@example.com")
    api = client_for(PLATFORM)
    laptop = _issue(api, user.email, device="work laptop").json()["token"]
    phone = _issue(api, user.email, device="phone").json()["token"]
    foreign = _issue(api, other.email, device="theirs").json()["token"]
    page = client_for(PLATFORM, user)
    listing = page.get("/accounts/tokens/").content.decode()
    assert "work laptop" in listing and "phone" in listing and "theirs" not in listing
    assert laptop not in listing  # only the public part is shown
    key = ApiToken.objects.get(user=user, device="work laptop").token_key
    revoked = page.post(f"/accounts/tokens/{key}/revoke/", HTTP_HX_REQUEST="true")
    assert revoked.status_code == 200 and revoked.content == b""
    assert _me(api, laptop) == 401 and _me(api, phone) == 200
    # Someone else's token cannot be revoked from this page.
    foreign_key = ApiToken.objects.get(user=other).token_key
    page.post(f"/accounts/tokens/{foreign_key}/revoke/")
    assert _me(api, foreign) == 200


def test_an_address_registered_by_someone_else_yields_no_token_and_no_team(
        client_for: Any, vendor_a: Any, owner_a: Any) -> None:
    """The attack: sign up with the address of someone a vendor is about to invite, keep a token,
    and read the vendor's orders once the real owner resets the password and joins the team."""
    from vendors.models import Membership

    victim = "new-staff@example.com"
    attacker = client_for(PLATFORM)
    signed_up = attacker.post("/accounts/signup/", {
        "email": victim, "password1": "attacker-pass-1", "password2": "attacker-pass-1"})
    assert signed_up.status_code == 302
    refused = _issue(client_for(PLATFORM), victim, "attacker-pass-1")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "email_unverified"
    assert not ApiToken.objects.filter(user__email=victim).exists()
    # The real owner takes the account back with a reset (which confirms the address)...
    owner = client_for(PLATFORM)
    owner.post("/accounts/password/reset/", {"email": victim})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body)
    assert link
    form = owner.get(link.group(1))
    owner.post(form["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    # ...and the attacker's session is gone with the old password: nothing of the team to read.
    assert attacker.get("/api/v1/me/").status_code in (401, 403)
    assert not Membership.objects.filter(user__email=victim).exists()
    assert not ApiToken.objects.filter(user__email=victim).exists()
