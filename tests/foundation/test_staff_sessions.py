"""Platform staff sessions end twelve hours after sign-in (issue 18, hole 8c)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.factories.accounts import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
HOST = "marketplace.localhost"
TWELVE_HOURS = 12 * 3600


def _sign_in(client: Any, email: str) -> Any:
    return client.post("/accounts/login/", {"login": email, "password": PASSWORD})


def test_staff_sessions_end_after_twelve_hours_and_buyers_keep_theirs(settings: Any, client_for: Any) -> None:
    settings.PLATFORM_STAFF_REQUIRE_MFA = False
    assert settings.PLATFORM_STAFF_SESSION_SECONDS == TWELVE_HOURS
    staff = UserFactory(email="short-session@example.com", platform_role="finance", totp=False)
    client = client_for(HOST)
    assert _sign_in(client, staff.email).status_code == 302
    assert client.get("/ops/finance/").status_code == 200
    assert TWELVE_HOURS - 60 <= client.session.get_expiry_age() <= TWELVE_HOURS
    buyer = UserFactory(email="long-session@example.com")
    other = client_for(HOST)
    assert _sign_in(other, buyer.email).status_code == 302
    assert other.session.get_expiry_age() > 13 * 24 * 3600


def test_a_staff_session_past_its_deadline_is_signed_out(settings: Any, client_for: Any, monkeypatch: Any) -> None:
    settings.PLATFORM_STAFF_REQUIRE_MFA = False
    staff = UserFactory(email="expired-session@example.com", platform_role="finance", totp=False)
    client = client_for(HOST)
    _sign_in(client, staff.email)
    assert client.get("/ops/finance/").status_code == 200
    later = time.time() + TWELVE_HOURS + 1
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get("/ops/finance/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
