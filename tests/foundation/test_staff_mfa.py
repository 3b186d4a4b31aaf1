"""Platform staff (admins, finance) move money: the console and its API require two-factor
authentication (an authenticator app, allauth.mfa), and signing in asks for its code."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail

from tests.factories.accounts import PASSWORD, UserFactory, totp_code, totp_code_for_secret
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db
HOST = "marketplace.localhost"


def _sign_in(client: Any, email: str) -> Any:
    return client.post("/accounts/login/", {"login": email, "password": PASSWORD}, HTTP_HOST=HOST)


def test_staff_without_two_factor_are_sent_to_set_it_up_and_then_get_in(platform_client: Any) -> None:
    admin = UserFactory(email="new-admin@example.com", platform_role="admin", totp=False)  # email verified
    client = platform_client  # on the platform host (public tenant ensured)
    assert _sign_in(client, admin.email).status_code == 302
    console = client.get("/ops/applications/", HTTP_HOST=HOST)
    assert console.status_code == 302 and console["Location"] == "/accounts/2fa/totp/activate/"
    # The API answers with a specific error instead of a page.
    api = client.get("/api/v1/ops/commission-rules/", HTTP_HOST=HOST)
    assert api.status_code == 403 and api.json()["error"]["code"] == "mfa_required"

    # Set-up first asks for a code sent to the account's verified address (the password alone
    # cannot add an authenticator: ADR 0044), then shows the secret and its QR code; a code from
    # the app activates it.
    confirm = client.get("/accounts/2fa/totp/activate/", HTTP_HOST=HOST)
    assert confirm.status_code == 302 and confirm["Location"].startswith("/accounts/reauthenticate/code/")
    sent = client.post(confirm["Location"], {"recipient": admin.email}, HTTP_HOST=HOST)
    emailed = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mail.outbox[-1].body, re.M)
    assert sent.status_code == 302 and emailed
    assert client.post(sent["Location"], {"code": emailed.group(1)}, HTTP_HOST=HOST).status_code == 302
    page = client.get("/accounts/2fa/totp/activate/", HTTP_HOST=HOST).content.decode()
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]{32})"', page)
    assert secret and "data:image/svg+xml;base64," in page
    # A code made in the last seconds of its 30 s period may reach the server in the next one,
    # which refuses it (no tolerance): make it early in a period.
    code = totp_code_for_secret(secret.group(1))
    done = client.post("/accounts/2fa/totp/activate/", {"code": code}, HTTP_HOST=HOST)
    assert done.status_code == 302
    assert Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).exists()
    assert client.get("/ops/applications/", HTTP_HOST=HOST).status_code == 200
    assert client.get("/api/v1/ops/commission-rules/", HTTP_HOST=HOST).status_code == 200


def test_signing_in_asks_for_the_code_and_refuses_a_wrong_one(platform_client: Any) -> None:
    finance = UserFactory(email="fin@example.com", platform_role="finance")
    client = platform_client  # on the platform host (public tenant ensured)
    step = _sign_in(client, finance.email)
    assert step.status_code == 302 and step["Location"] == "/accounts/2fa/authenticate/"
    # Password alone is not a session: the console still sends to sign in.
    assert client.get("/ops/finance/", HTTP_HOST=HOST)["Location"].startswith("/accounts/login/")
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"}, HTTP_HOST=HOST)
    assert wrong.status_code == 200 and "Incorrect code" in wrong.content.decode()
    ok = client.post("/accounts/2fa/authenticate/", {"code": totp_code(finance)}, HTTP_HOST=HOST)
    assert ok.status_code == 302
    assert client.get("/ops/finance/", HTTP_HOST=HOST).status_code == 200


def test_a_code_one_period_old_works_once_and_an_older_one_never(platform_client: Any) -> None:
    # MFA_TOTP_TOLERANCE = 1: a code typed as its period ends (or from a phone whose clock is a
    # little off) still signs in; two periods away it is refused, and no code works twice.
    finance = UserFactory(email="drift@example.com", platform_role="finance")
    client = platform_client
    _sign_in(client, finance.email)
    # Not in a period's last seconds, so "one period old" stays so until the code is checked.
    wait_until(lambda: 30 - time.time() % 30 > 5, timeout=10, message="the start of a TOTP period")
    stale = client.post("/accounts/2fa/authenticate/", {"code": totp_code(finance, step=-2)}, HTTP_HOST=HOST)
    assert stale.status_code == 200 and "Incorrect code" in stale.content.decode()
    late = totp_code(finance, step=-1)
    assert client.post("/accounts/2fa/authenticate/", {"code": late}, HTTP_HOST=HOST).status_code == 302
    client.logout()
    _sign_in(client, finance.email)
    again = client.post("/accounts/2fa/authenticate/", {"code": late}, HTTP_HOST=HOST)
    assert again.status_code == 200 and "Incorrect code" in again.content.decode()


def test_api_tokens_for_two_factor_accounts_need_the_code(platform_client: Any) -> None:
    admin = UserFactory(email="tok-admin@example.com", platform_role="admin")
    client = platform_client  # on the platform host (public tenant ensured)
    url = "/api/v1/auth/token/"
    # Without the code, or with a wrong one, the answer is the one a wrong password gets, so it
    # never tells that the password was right (tests/accounts/test_auth_abuse.py).
    missing = client.post(url, {"email": admin.email, "password": PASSWORD}, content_type="application/json")
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "invalid_credentials"
    wrong = client.post(url, {"email": admin.email, "password": PASSWORD, "code": "123456"},
                        content_type="application/json")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_credentials"
    ok = client.post(url, {"email": admin.email, "password": PASSWORD, "code": totp_code(admin)},
                     content_type="application/json")
    assert ok.status_code == 200 and ok.json()["token"]
    # A buyer without two-factor gets a token with the password alone.
    buyer = UserFactory(email="plain@example.com")
    assert client.post(url, {"email": buyer.email, "password": PASSWORD},
                       content_type="application/json").status_code == 200


def test_the_requirement_can_be_switched_off(settings: Any, platform_client: Any) -> None:
    settings.PLATFORM_STAFF_REQUIRE_MFA = False
    admin = UserFactory(email="relaxed@example.com", platform_role="admin", totp=False)
    client = platform_client  # on the platform host (public tenant ensured)
    client.force_login(admin)
    assert client.get("/ops/applications/", HTTP_HOST=HOST).status_code == 200


def test_an_admin_without_two_factor_sees_no_one_elses_applications(platform_client: Any, client_for: Any) -> None:
    from vendors.models import VendorApplication

    applicant = UserFactory(email="hopeful@example.com")
    application = VendorApplication.objects.create(applicant=applicant, business_name="Hopeful Goods",
                                                   slug="hopeful", contact_email=applicant.email)
    bare = UserFactory(email="bare-admin@example.com", platform_role="admin", totp=False)
    client = client_for("marketplace.localhost", bare)
    listing = client.get("/api/v1/applications/")
    assert listing.status_code == 200 and listing.json()["results"] == []
    assert client.get(f"/api/v1/applications/{application.pk}/").status_code == 404
    # With two-factor set up, the same admin sees the review queue.
    full = client_for("marketplace.localhost", UserFactory(email="full-admin@example.com", platform_role="admin"))
    assert full.get(f"/api/v1/applications/{application.pk}/").status_code == 200


def test_every_admin_only_check_needs_two_factor_when_required(settings: Any, vendor_a: Any) -> None:
    """Each platform-admin decision in accounts.roles is refused to an admin signed in with a
    password alone; the console still sends such an admin to set two-factor up (not a 403)."""
    from accounts import roles
    from vendors.models import VendorApplication

    settings.PLATFORM_STAFF_REQUIRE_MFA = True
    bare = UserFactory(email="bare-roles@example.com", platform_role="admin", totp=False)
    full = UserFactory(email="full-roles@example.com", platform_role="admin")
    application = VendorApplication(applicant_id=UserFactory().pk, business_name="X", slug="x")
    assert not roles.can_review_applications(bare)
    assert not roles.can_download_application_document(bare, application)
    assert not roles.can_retry_onboarding(bare, vendor_a)
    assert roles.can_review_applications(full)
    assert roles.can_download_application_document(full, application)
    assert roles.can_retry_onboarding(full, vendor_a)
    settings.PLATFORM_STAFF_REQUIRE_MFA = False
    assert roles.can_review_applications(bare) and roles.can_retry_onboarding(bare, vendor_a)


def test_an_admin_without_two_factor_is_still_sent_to_set_it_up_from_review_pages(
    settings: Any, client_for: Any
) -> None:
    settings.PLATFORM_STAFF_REQUIRE_MFA = True
    bare = UserFactory(email="bare-review@example.com", platform_role="admin", totp=False)
    page = client_for(HOST, bare).get("/ops/applications/")
    assert page.status_code == 302 and page["Location"] == "/accounts/2fa/totp/activate/"
