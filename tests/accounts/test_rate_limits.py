"""Rate limits beyond sign-in: per account and per client address, on every host; 429 with
Retry-After, the project's JSON error on the API and a page on HTML; never on webhooks."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db
PLATFORM = "marketplace.localhost"


def _is_rate_limited_json(response: Any) -> bool:
    return (response.status_code == 429 and int(response["Retry-After"]) > 0
            and response.json()["error"]["code"] == "rate_limited")


def _is_rate_limited_page(response: Any) -> bool:
    return (response.status_code == 429 and int(response["Retry-After"]) > 0
            and "Too many attempts" in response.content.decode())


def test_checkout_is_limited_per_account_across_the_api_and_the_page(client_for: Any, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "checkout": "2/m"}
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    buyer = UserFactory(email="hoarder@example.com")
    client = client_for(PLATFORM, buyer)
    body = {"address": {"name": "H", "line1": "Main 1", "city": "Berlin", "postal_code": "10115",
                        "country": "DE"}}
    for n in range(2):
        first = client.post("/api/v1/checkout/", body, content_type="application/json",
                            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        assert first.status_code != 429
    over = client.post("/api/v1/checkout/", body, content_type="application/json",
                       HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert _is_rate_limited_json(over), over.content
    # The same account on the checkout page, from yet another address: the same counter.
    page = client.post("/checkout/", {"name": "H"}, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert _is_rate_limited_page(page)
    # The page's live refresh (country change) is not an order and is not counted.
    assert client.post("/checkout/", {"refresh": "1"}, HTTP_HX_REQUEST="true").status_code != 429


def test_seller_applications_are_limited(client_for: Any, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "seller_application": "2/h"}
    client = client_for(PLATFORM, UserFactory(email="applicant-spam@example.com"))
    assert [client.post("/sell/submit/").status_code != 429 for _ in range(2)] == [True, True]
    assert _is_rate_limited_page(client.post("/sell/submit/"))


def test_listings_api_is_limited_per_client_address(client_for: Any, settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "search": "3/m"}
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    client = client_for(PLATFORM)

    def search(address: str) -> Any:
        return client.get("/api/v1/listings/?q=lamp", HTTP_X_FORWARDED_FOR=address)

    assert [search("203.0.113.5").status_code for _ in range(3)] == [200, 200, 200]
    assert _is_rate_limited_json(search("203.0.113.5"))
    assert _is_rate_limited_json(client.get("/api/v1/listings/suggest/?q=la",
                                            HTTP_X_FORWARDED_FOR="203.0.113.5"))
    assert search("198.51.100.5").status_code == 200
    assert _is_rate_limited_json(search("192.0.2.50, 203.0.113.5"))  # a spoofed hop changes nothing


def test_sign_up_and_password_reset_limits_hold_across_hosts(client_for: Any, vendor_a: Any,
                                                             settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "2/m/ip",
                                    "reset_password": "100/m/ip,1/m/key"}
    for n, host in enumerate([PLATFORM, vendor_a.host]):
        client_for(host).post("/accounts/signup/", {"email": f"s{n}@example.com",
                                                    "password1": "pw-long-enough-1",
                                                    "password2": "pw-long-enough-1"})
    third = client_for(PLATFORM).post("/accounts/signup/", {
        "email": "s3@example.com", "password1": "pw-long-enough-1", "password2": "pw-long-enough-1"})
    assert _is_rate_limited_page(third)

    user = UserFactory(email="forgetful@example.com")
    assert client_for(PLATFORM).post("/accounts/password/reset/", {"email": user.email}).status_code == 302
    again = client_for(vendor_a).post("/accounts/password/reset/", {"email": user.email})
    assert _is_rate_limited_page(again)


def test_webhooks_are_never_rate_limited(client_for: Any, settings: Any) -> None:
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, "1/h")
    settings.ACCOUNT_RATE_LIMITS = dict.fromkeys(settings.ACCOUNT_RATE_LIMITS, "1/h/ip")
    client = client_for(PLATFORM)
    statuses = {client.post("/webhooks/stripe/", "{}", content_type="application/json",
                            HTTP_STRIPE_SIGNATURE="t=1,v1=bad").status_code for _ in range(5)}
    assert 429 not in statuses and statuses == {400}
