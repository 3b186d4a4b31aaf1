"""The public listings API in the buyer's currency (ADR 0096): `presentment` on each listing when
`currency` is asked for or the buyer chose one, converted as checkout converts; an unknown currency
is a 400 in the project's error body; no rate: `converted` false, nothing made up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from common.money import convert
from orders.currency import RateSet, rate_for, rates_store
from tests.factories import VendorFactory
from tests.marketplace.helpers import make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(db: Any) -> dict[str, Any]:
    today = timezone.localdate()
    rates_store(rate_sets=[RateSet("ecb", today - dt.timedelta(days=1), "EUR",
                                   {"GBP": Decimal("0.83125"), "JPY": Decimal("158.47")})])
    london = VendorFactory(slug="london", name="London Goods")
    paris = VendorFactory(slug="paris", name="Paris Goods")
    stockholm = VendorFactory(slug="stockholm", name="Stockholm Goods")
    return {
        "scarf": make_listing(london, "Tweed Scarf", price=2000, currency="GBP"),
        "kettle": make_listing(paris, "Copper Kettle", price=11_900, currency="EUR"),
        "lamp": make_listing(stockholm, "Krona Lamp", price=15_000, currency="SEK"),  # no SEK rate
    }


def _by_title(body: dict[str, Any]) -> dict[str, Any]:
    return {row["title"]: row for row in body["results"]}


def test_the_search_gains_presentment_in_the_asked_currency(platform_client: Any, shelf: dict[str, Any]) -> None:
    response = platform_client.get("/api/v1/listings/", {"currency": "jpy"})

    assert response.status_code == 200
    rows = _by_title(response.json())
    gbp_jpy = rate_for(source="GBP", target="JPY", on=timezone.localdate())
    scarf = rows["Tweed Scarf"]
    assert (scarf["currency"], scarf["price_min"]) == ("GBP", 2000)  # the vendor's own, as before
    assert scarf["presentment"] == {
        "currency": "JPY", "converted": True,
        "amount": convert(2000, source="GBP", target="JPY", rate=gbp_jpy.rate),
        "amount_max": convert(2000, source="GBP", target="JPY", rate=gbp_jpy.rate),
        "compare_at_amount": None, "rate": f"{gbp_jpy.rate:.10f}",
        "rate_date": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
    }
    assert rows["Copper Kettle"]["presentment"]["amount"] == 18_858  # 119.00 EUR × 158.47, yen
    lamp = rows["Krona Lamp"]["presentment"]
    assert lamp == {"currency": "JPY", "converted": False, "amount": None, "amount_max": None,
                    "compare_at_amount": None, "rate": None, "rate_date": None}


def test_the_detail_gains_presentment_too(platform_client: Any, shelf: dict[str, Any]) -> None:
    scarf = shelf["scarf"]

    body = platform_client.get(f"/api/v1/listings/{scarf.pk}/", {"currency": "EUR"}).json()

    rate = rate_for(source="GBP", target="EUR", on=timezone.localdate()).rate
    assert body["presentment"]["amount"] == convert(2000, source="GBP", target="EUR", rate=rate) == 2406


def test_without_a_currency_or_a_choice_there_is_no_presentment(platform_client: Any, shelf: dict[str, Any]) -> None:
    rows = _by_title(platform_client.get("/api/v1/listings/").json())
    assert {row["presentment"] for row in rows.values()} == {None}
    detail = platform_client.get(f"/api/v1/listings/{shelf['scarf'].pk}/").json()
    assert detail["presentment"] is None


def test_the_buyers_choice_is_the_default(client_for: Any, shelf: dict[str, Any], django_user_model: Any) -> None:
    buyer = django_user_model.objects.create_user(email="fx-api@example.com", password="x-long-pass-1234")
    client = client_for("marketplace.localhost", buyer)
    client.post("/currency/", {"currency": "GBP"})

    rows = _by_title(client.get("/api/v1/listings/").json())

    assert rows["Copper Kettle"]["presentment"]["currency"] == "GBP"
    assert rows["Copper Kettle"]["presentment"]["amount"] == 9892  # 119.00 EUR × 0.83125
    assert rows["Tweed Scarf"]["presentment"]["amount"] == 2000


@pytest.mark.parametrize("currency", ["XYZ", "eu", "BTC", "€"])
def test_an_unknown_currency_is_refused_with_the_error_body(platform_client: Any, shelf: dict[str, Any],
                                                            currency: str) -> None:
    for path in ("/api/v1/listings/", f"/api/v1/listings/{shelf['scarf'].pk}/"):
        response = platform_client.get(path, {"currency": currency})
        assert response.status_code == 400, path
        error = response.json()["error"]
        assert error["code"] == "currency_unsupported"
        assert "is not a currency this marketplace sells in" in error["message"]
        assert "EUR" in error["fields"]["currency"][0]


def test_the_price_filter_and_presentment_share_the_currency(platform_client: Any, shelf: dict[str, Any]) -> None:
    # 24.06 EUR for the scarf: inside 24..25 EUR; the kettle (119 EUR) is not.
    body = platform_client.get("/api/v1/listings/", {"currency": "EUR", "price_min": "24",
                                                     "price_max": "25"}).json()
    assert [(row["title"], row["presentment"]["amount"]) for row in body["results"]] == [("Tweed Scarf", 2406)]


def test_the_schema_documents_presentment_and_the_currency_parameter(client_for: Any, django_user_model: Any) -> None:
    reader = django_user_model.objects.create_user(email="schema-reader@example.com", password="x-long-pass-1234")
    schema = client_for("marketplace.localhost", reader).get("/api/v1/schema/", {"format": "json"}).json()

    search = schema["paths"]["/api/v1/listings/"]["get"]
    currency = next(p for p in search["parameters"] if p["name"] == "currency")
    assert set(currency["schema"]["enum"]) == {"", "EUR", "USD", "GBP", "CHF", "SEK", "DKK", "PLN", "JPY"}
    assert "400" in search["responses"]
    detail = schema["paths"]["/api/v1/listings/{listing_id}/"]["get"]
    assert any(p["name"] == "currency" for p in detail["parameters"])
    presentment = schema["components"]["schemas"]["PresentmentOutput"]
    assert {"currency", "converted", "amount", "amount_max", "compare_at_amount", "rate", "rate_date"} <= set(
        presentment["properties"])
