"""Password and 2FA-code guessing: limits shared by the sign-in page and the token endpoint, across
every host and per client address; no answer that tells a right password from a wrong one."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories.accounts import PASSWORD, UserFactory, totp_code
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db
PLATFORM = "marketplace.localhost"
TOKEN_URL = "/api/v1/auth/token/"


def _token(client: Any, email: str, password: str, **extra: Any) -> Any:
    return client.post(TOKEN_URL, {"email": email, "password": password, **extra},
                       content_type="application/json")


def _sign_in(client: Any, email: str, password: str) -> Any:
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_thirty_wrong_passwords_on_the_token_endpoint_lock_the_account(client_for: Any) -> None:
    user = UserFactory(email="target@example.com")
    client = client_for(PLATFORM)
    statuses = [_token(client, user.email, f"guess-{n}").status_code for n in range(30)]
    assert 429 in statuses, statuses
    first_429 = statuses.index(429)
    assert first_429 < 30 and set(statuses[:first_429]) == {401}
    locked = _token(client, user.email, PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "rate_limited"
    assert int(locked["Retry-After"]) > 0


def test_the_right_password_works_again_once_the_window_has_passed(client_for: Any, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "100/m/ip,3/2s/key"}
    user = UserFactory(email="patient@example.com")
    client = client_for(PLATFORM)
    for n in range(3):
        assert _token(client, user.email, f"guess-{n}").status_code == 401
    assert _token(client, user.email, PASSWORD).status_code == 429
    response = wait_until(lambda: (answer := _token(client, user.email, PASSWORD)).status_code != 429 and answer,
                          timeout=10, message="still locked long after the window", interval=0.2)
    assert response.status_code == 200 and response.json()["token"]


def test_the_answer_never_tells_that_the_password_was_right(client_for: Any) -> None:
    admin = UserFactory(email="oracle@example.com", platform_role="admin")
    client = client_for(PLATFORM)
    wrong_password = _token(client, admin.email, "not-it")
    no_code = _token(client, admin.email, PASSWORD)
    wrong_code = _token(client, admin.email, PASSWORD, code="000000")
    wrong_both = _token(client, admin.email, "not-it", code="000000")
    answers = {(r.status_code, r.json()["error"]["code"], r.json()["error"]["message"])
               for r in (wrong_password, no_code, wrong_code, wrong_both)}
    assert len(answers) == 1, answers
    assert answers.pop()[:2] == (401, "invalid_credentials")


def test_a_lockout_on_the_sign_in_page_blocks_the_api_and_every_vendor_host(
        client_for: Any, vendor_a: Any) -> None:
    user = UserFactory(email="locked@example.com")
    page = client_for(PLATFORM)
    statuses = [_sign_in(page, user.email, f"guess-{n}").status_code for n in range(8)]
    assert 429 in statuses, statuses
    refused = _sign_in(page, user.email, PASSWORD)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "_auth_user_id" not in page.session
    # Another host: the same counters.
    vendor_page = client_for(vendor_a)
    assert _sign_in(vendor_page, user.email, PASSWORD).status_code == 429
    assert "_auth_user_id" not in vendor_page.session
    assert _token(client_for(vendor_a), user.email, PASSWORD).status_code == 429
    assert _token(client_for(PLATFORM), user.email, PASSWORD).status_code == 429


def test_a_lockout_through_the_api_blocks_the_sign_in_page(client_for: Any, vendor_b: Any) -> None:
    user = UserFactory(email="api-locked@example.com")
    api = client_for(vendor_b)
    for n in range(8):
        _token(api, user.email, f"guess-{n}")
    assert _sign_in(client_for(PLATFORM), user.email, PASSWORD).status_code == 429


def test_client_addresses_behind_the_proxy_are_limited_separately(client_for: Any, settings: Any) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip,100/m/key"}
    client = client_for(PLATFORM)

    def attempt(n: int, forwarded_for: str) -> int:
        return client.post(TOKEN_URL, {"email": f"nobody{n}@example.com", "password": "x"},
                           content_type="application/json",
                           HTTP_X_FORWARDED_FOR=forwarded_for).status_code

    assert [attempt(n, "203.0.113.7") for n in range(4)] == [401, 401, 401, 429]
    # Another client behind the same load balancer still has its tries.
    assert attempt(10, "198.51.100.9") == 401
    # A client that prepends its own X-Forwarded-For hop is still the address the proxy saw.
    assert attempt(11, "192.0.2.1, 203.0.113.7") == 429
    assert attempt(12, "192.0.2.2, 10.0.0.1, 203.0.113.7") == 429


def test_a_two_factor_code_used_on_one_host_is_refused_on_another(client_for: Any, vendor_a: Any) -> None:
    admin = UserFactory(email="replay@example.com", platform_role="admin")
    code = totp_code(admin)
    first = client_for(PLATFORM)
    assert _sign_in(first, admin.email, PASSWORD)["Location"] == "/accounts/2fa/authenticate/"
    assert first.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    replay = client_for(vendor_a)
    assert _sign_in(replay, admin.email, PASSWORD)["Location"] == "/accounts/2fa/authenticate/"
    refused = replay.post("/accounts/2fa/authenticate/", {"code": code})
    assert refused.status_code == 200 and "Incorrect code" in refused.content.decode()
    # Nor through the API on a third host.
    assert _token(client_for(PLATFORM), admin.email, PASSWORD, code=code).status_code == 401


def test_two_factor_codes_cannot_be_guessed_through_the_api(client_for: Any, settings: Any) -> None:
    admin = UserFactory(email="code-guess@example.com", platform_role="admin")
    client = client_for(PLATFORM)
    statuses = [_token(client, admin.email, PASSWORD, code=f"{n:06d}").status_code for n in range(12)]
    assert 429 in statuses, statuses
    assert _token(client, admin.email, PASSWORD, code=totp_code(admin)).status_code == 429
