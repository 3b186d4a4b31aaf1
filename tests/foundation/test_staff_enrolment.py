"""A staff account's first authenticator needs an emailed code, not the password alone (issue 18, hole 8f)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from tests.factories.accounts import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
HOST = "marketplace.localhost"


def _sign_in(client: Any, email: str) -> Any:
    return client.post("/accounts/login/", {"login": email, "password": PASSWORD})


def test_a_password_alone_cannot_enrol_a_staff_authenticator(settings: Any, client_for: Any) -> None:
    settings.PLATFORM_STAFF_REQUIRE_MFA = True
    admin = UserFactory(email="enrol-admin@example.com", platform_role="admin", totp=False)  # email verified
    client = client_for(HOST)
    _sign_in(client, admin.email)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})  # the password, once more
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/reauthenticate/code/")
    assert client.post("/accounts/2fa/totp/activate/", {"code": "123456"}).status_code == 302

    # A code sent to the account's verified address proves the mailbox: then enrolment opens.
    mail.outbox.clear()
    sent = client.post(page["Location"], {"recipient": admin.email})
    assert sent.status_code == 302 and mail.outbox and mail.outbox[-1].to == [admin.email]
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mail.outbox[-1].body, re.M)
    assert code, mail.outbox[-1].body
    confirmed = client.post(sent["Location"], {"code": code.group(1)})
    assert confirmed.status_code == 302
    activate = client.get("/accounts/2fa/totp/activate/")
    assert activate.status_code == 200 and 'id="authenticator_secret"' in activate.content.decode()


def test_a_staff_account_without_a_verified_address_is_told_to_verify_it(settings: Any, client_for: Any) -> None:
    settings.PLATFORM_STAFF_REQUIRE_MFA = True
    admin = UserFactory(email="unverified-admin@example.com", platform_role="admin", totp=False,
                        email_verified=False)
    client = client_for(HOST)
    _sign_in(client, admin.email)
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 302 and page["Location"] == "/accounts/email/"


def test_buyers_enrol_with_their_password_as_before(settings: Any, client_for: Any) -> None:
    settings.PLATFORM_STAFF_REQUIRE_MFA = True
    buyer = UserFactory(email="buyer-mfa@example.com")
    client = client_for(HOST)
    _sign_in(client, buyer.email)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
