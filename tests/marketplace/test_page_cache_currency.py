"""Cached anonymous pages and API answers vary by the buyer's currency (ADR 0065, 0096): a page
rendered in EUR is never served to a visitor shown GBP, on any cached page or the listings API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from marketplace.models import Category
from orders.currency import RateSet, rates_store
from tests.conftest import PLATFORM_HOST
from tests.factories import VendorFactory
from tests.marketplace.helpers import make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _page_cache_on(settings: Any) -> None:
    settings.PAGE_CACHE_SECONDS = 300  # off in the rest of the suite (test settings)


@pytest.fixture
def scarf(platform_client: Any) -> Any:
    rates_store(rate_sets=[RateSet("ecb", timezone.localdate(), "EUR", {"GBP": Decimal("0.83125")})])
    garden = Category.objects.create(name="Garden", slug="garden", path="garden")
    kettle_vendor = VendorFactory(slug="paris", name="Paris Goods")
    make_listing(kettle_vendor, "Copper Kettle", price=11_900, currency="EUR", category_id=garden.pk)
    return make_listing(VendorFactory(slug="london", name="London Goods"), "Tweed Scarf", price=2000,
                        currency="GBP", category_id=garden.pk)


def _body(response: Any) -> str:
    return response.content.decode().replace("\xa0", " ")


def _pages(listing: Any) -> list[str]:
    return ["/", "/search/?q=scarf", "/c/garden/", f"/p/{listing.pk}/{listing.handle}/"]


def test_a_eur_page_is_never_served_to_a_gbp_visitor(scarf: Any, settings: Any) -> None:
    anonymous = Client(HTTP_HOST=PLATFORM_HOST)
    for path in _pages(scarf):
        eur = _body(anonymous.get(path))
        assert 'data-price-currency="EUR"' in eur and "24.06 EUR" in eur, path

    # Visitors whose default is GBP (ORDERS_FX_DEFAULT_CURRENCY) come without a session: cacheable.
    settings.ORDERS_FX_DEFAULT_CURRENCY = "GBP"
    for path in _pages(scarf):
        gbp = _body(Client(HTTP_HOST=PLATFORM_HOST).get(path))
        assert 'data-price-currency="EUR"' not in gbp and "24.06 EUR" not in gbp, path
        assert "20.00 GBP" in gbp, path

    # And the EUR visitor still gets the EUR page (each currency its own entry).
    settings.ORDERS_FX_DEFAULT_CURRENCY = "EUR"
    assert "24.06 EUR" in _body(Client(HTTP_HOST=PLATFORM_HOST).get("/"))


def test_a_buyer_who_chose_gbp_never_gets_the_cached_eur_page(scarf: Any, django_user_model: Any) -> None:
    assert "24.06 EUR" in _body(Client(HTTP_HOST=PLATFORM_HOST).get("/"))
    chooser = Client(HTTP_HOST=PLATFORM_HOST)
    chooser.post("/currency/", {"currency": "GBP"})

    for path in _pages(scarf):
        gbp = _body(chooser.get(path))
        assert "24.06 EUR" not in gbp and 'data-price-currency="GBP"' in gbp, path
    # Their GBP page was not kept for the anonymous visitors either.
    assert 'data-price-currency="GBP"' not in _body(Client(HTTP_HOST=PLATFORM_HOST).get("/"))


def test_the_listings_api_answers_per_currency(scarf: Any, settings: Any) -> None:
    anonymous = Client(HTTP_HOST=PLATFORM_HOST)
    plain = anonymous.get("/api/v1/listings/").json()
    eur = anonymous.get("/api/v1/listings/", {"currency": "EUR"}).json()
    gbp = anonymous.get("/api/v1/listings/", {"currency": "GBP"}).json()

    assert {row["presentment"] is None for row in plain["results"]} == {True}
    assert {row["presentment"]["currency"] for row in eur["results"]} == {"EUR"}
    assert {row["presentment"]["currency"] for row in gbp["results"]} == {"GBP"}
    again = anonymous.get("/api/v1/listings/", {"currency": "GBP"})
    assert again.json() == gbp and again.has_header("ETag")


def test_a_vendor_host_never_gets_another_hosts_page_in_any_currency(scarf: Any, settings: Any, vendor_a: Any,
                                                                     vendor_b: Any) -> None:
    for currency in ("EUR", "GBP"):
        settings.ORDERS_FX_DEFAULT_CURRENCY = currency
        assert "Tweed Scarf" in _body(Client(HTTP_HOST=PLATFORM_HOST).get("/"))
        for vendor, other in ((vendor_a, vendor_b), (vendor_b, vendor_a)):
            body = _body(Client(HTTP_HOST=vendor.host).get("/"))
            assert vendor.name in body and other.name not in body, (currency, vendor.slug)
            assert "Tweed Scarf" not in body and "Copper Kettle" not in body
