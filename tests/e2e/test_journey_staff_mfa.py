"""Journey: a new platform admin must set up two-factor authentication before the console opens,
reviews and revokes their API tokens, then signs in with a code from the authenticator app."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import assert_accessible, login
from tests.factories.accounts import PASSWORD, totp_code_for_secret

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_new_admin_sets_up_an_authenticator_app_before_the_console_opens(page, site, shot):
    from django.core import mail

    from tests.factories import UserFactory

    admin = UserFactory(email="ada@example.com", platform_role="admin", totp=False)  # email verified
    login(page, site.platform, admin.email, PASSWORD)
    page.goto(f"{site.platform}/ops/applications/")
    # Sent to set up 2FA; first a code sent to the account's address (the password alone cannot
    # add an authenticator: ADR 0044).
    page.wait_for_url(re.compile(r".*/accounts/reauthenticate/code/.*"))
    page.get_by_role("button", name="Request Code").click()
    page.wait_for_url(re.compile(r".*/accounts/reauthenticate/code/confirm/.*"))
    emailed = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mail.outbox[-1].body, re.M)
    assert emailed
    page.get_by_label("Code").fill(emailed.group(1))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r".*/accounts/2fa/totp/activate/"))
    expect(page.get_by_role("img")).to_be_visible()  # the QR code for the app
    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert_accessible(page)
    shot(page, "mfa-01-activate")
    code = totp_code_for_secret(secret)
    page.get_by_label("Authenticator code").fill(code)
    page.get_by_role("button", name="Activate").click()
    # Recovery codes are shown once, to keep somewhere safe.
    page.wait_for_url(re.compile(r".*/accounts/2fa/recovery-codes/"))
    expect(page.get_by_text(re.compile("recovery codes", re.I)).first).to_be_visible()
    shot(page, "mfa-02-recovery-codes")
    page.goto(f"{site.platform}/ops/applications/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert "/ops/applications/" in page.url

    # API tokens: one per device, listed on the account page, revoked there (htmx).
    from accounts.tokens import api_token_issue

    _, laptop = api_token_issue(user=admin, device="Ada's laptop")
    _, script = api_token_issue(user=admin, device="deploy script")
    page.goto(f"{site.platform}/accounts/tokens/")
    table = page.locator("#api-tokens")
    expect(table.get_by_text("Ada's laptop")).to_be_visible()
    expect(table.get_by_text("deploy script")).to_be_visible()
    assert_accessible(page)
    shot(page, "mfa-04-api-tokens")
    page.get_by_role("button", name="Revoke the token of deploy script").click()
    expect(table.get_by_text("deploy script")).to_have_count(0)
    expect(table.get_by_text("Ada's laptop")).to_be_visible()
    # From the page itself (Playwright's own HTTP client does not resolve *.localhost).
    status_with = "async (token) => (await fetch('/api/v1/me/', {headers: {Authorization: 'Token ' + token}})).status"
    assert page.evaluate(status_with, script) == 401
    assert page.evaluate(status_with, laptop) == 200

    # Next time, the password alone is not enough: the login helper types the app's code.
    page.context.clear_cookies()
    page.goto(f"{site.platform}/accounts/login/")
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r".*/accounts/2fa/authenticate/"))
    assert_accessible(page)
    shot(page, "mfa-03-code-at-sign-in")
