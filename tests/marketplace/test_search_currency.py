"""Search in the buyer's currency: price filters, the price facet and price sorts convert each
listing's price with today's rates, rounded as the cart rounds (docs/adr/0087)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from common.money import convert
from marketplace import search
from marketplace.search import SearchParams, price_bounds
from orders.currency import RateSet, rate_for, rates_store
from tests.factories import VendorFactory
from tests.marketplace.helpers import make_listing

pytestmark = pytest.mark.django_db

GBP_PER_EUR = Decimal("0.85")  # EUR per GBP: 1.1764705882 (ten places, as the cart keeps it)


@pytest.fixture
def shelves(db):
    rates_store(rate_sets=[RateSet("ecb", timezone.localdate(), "EUR", {"GBP": GBP_PER_EUR})])
    london = VendorFactory(slug="london", name="London Goods")
    paris = VendorFactory(slug="paris", name="Paris Goods")
    stockholm = VendorFactory(slug="stockholm", name="Stockholm Goods")
    rows = [
        (london, "Low Inside", 850, "GBP"),     # 10.00 EUR: on the lower bound
        (london, "Low Outside", 849, "GBP"),    # 9.99 EUR
        (london, "High Inside", 1700, "GBP"),   # 20.00 EUR: on the upper bound
        (london, "High Outside", 1701, "GBP"),  # 20.01 EUR
        (paris, "Euro Middle", 1500, "EUR"),
        (paris, "Euro Cheap", 500, "EUR"),
        (stockholm, "Krona Lamp", 15000, "SEK"),  # no SEK rate stored
    ]
    return {title: make_listing(vendor, title, price=price, currency=currency) for vendor, title, price, currency in rows}


def titles(page):
    return [listing.title for listing in page.results]


def test_the_boundary_listings_convert_as_the_cart_converts(shelves):
    rate = rate_for(source="GBP", target="EUR", on=timezone.localdate()).rate
    assert [convert(p, source="GBP", target="EUR", rate=rate) for p in (849, 850, 1700, 1701)] == [999, 1000, 2000, 2001]


def test_eur_buyer_filtering_10_to_20_sees_converted_gbp_listings_inside_only(shelves):
    page = search.search(SearchParams(currency="EUR", price_min=1000, price_max=2000, sort="price_asc"))
    assert titles(page) == ["Low Inside", "Euro Middle", "High Inside"]
    assert page.total == 3


def test_price_facet_counts_converted_prices(shelves):
    page = search.search(SearchParams(currency="EUR"))
    counts = {facet.value: facet.count for facet in page.facets["price"]}
    # 0-10: 849 GBP pence (9.99), 5.00 EUR; 10-25: the other three GBP and 15.00 EUR; SEK: no rate.
    assert counts == {"0-10": 2, "10-25": 4, "25-50": 0, "50-100": 0, "100-": 0}


def test_gbp_buyer_filters_eur_listings_converted_to_gbp(shelves):
    # 15.00 EUR at 0.85 is 12.75 GBP; 5.00 EUR is 4.25 GBP.
    page = search.search(SearchParams(currency="GBP", price_min=1275, price_max=1275))
    assert titles(page) == ["Euro Middle"]
    assert titles(search.search(SearchParams(currency="GBP", price_min=1276, price_max=1300))) == []


@pytest.mark.parametrize("sort", ["price_asc", "price_desc"])
def test_sort_by_price_orders_by_converted_price_across_currencies_and_pages(shelves, sort):
    seen, cursor = [], ""
    for _ in range(10):
        page = search.search(SearchParams(currency="EUR", sort=sort, limit=2, cursor=cursor))
        seen += titles(page)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    priced = ["Euro Cheap", "Low Outside", "Low Inside", "Euro Middle", "High Inside", "High Outside"]
    # The listing without a rate comes last whichever way prices are sorted.
    assert seen == (priced if sort == "price_asc" else priced[::-1]) + ["Krona Lamp"]


def test_sort_key_rounds_a_tie_half_up_like_the_cart(db):
    rates_store(rate_sets=[RateSet("ecb", timezone.localdate(), "EUR", {"GBP": Decimal("0.8")})])
    tie = make_listing(VendorFactory(), "Tie", price=1602, currency="GBP")  # 1602 × 1.25 = 2002.5
    page = search.search(SearchParams(currency="EUR", sort="price_asc"))
    expected = convert(1602, source="GBP", target="EUR", rate=Decimal("1.25"))
    assert expected == 2003 and [(r.pk, r.price_sort) for r in page.results] == [(tie.pk, 2003)]
    assert titles(search.search(SearchParams(currency="EUR", price_min=2003, price_max=2003))) == ["Tie"]
    assert titles(search.search(SearchParams(currency="EUR", price_max=2002))) == []


def test_a_currency_without_a_rate_is_left_out_of_price_filters_and_named(shelves):
    page = search.search(SearchParams(currency="EUR", price_min=0))
    assert "Krona Lamp" not in titles(page) and page.total == 6
    assert "SEK" in page.unconverted and "GBP" not in page.unconverted
    # Without a price filter it is found as before.
    assert "Krona Lamp" in titles(search.search(SearchParams(currency="EUR")))


def test_search_page_filters_in_the_buyers_session_currency_and_notes_missing_rates(shelves, client):
    client.post("/currency/", {"currency": "GBP"})
    body = client.get("/search/?price_min=12.75&price_max=12.75").content.decode()
    assert "Euro Middle" in body and "Euro Cheap" not in body and "High Inside" not in body
    assert "Min price (GBP)" in body
    assert 'data-test="price-unconverted"' in body and "SEK" in body
    # An explicit currency wins over the session's.
    body = client.get("/search/?currency=EUR&price_min=10&price_max=20").content.decode()
    assert "Low Inside" in body and "High Inside" in body and "High Outside" not in body and "Low Outside" not in body


def test_search_page_without_a_price_filter_shows_no_rate_note(shelves, platform_client):
    body = platform_client.get("/search/").content.decode()
    assert 'data-test="price-unconverted"' not in body and "Krona Lamp" in body


def test_listings_api_filters_and_sorts_in_the_requested_currency(shelves, platform_client):
    data = platform_client.get("/api/v1/listings/?currency=EUR&price_min=10&price_max=20&sort=price_desc").json()
    assert [row["title"] for row in data["results"]] == ["High Inside", "Euro Middle", "Low Inside"]
    assert data["count"] == 3
    data = platform_client.get("/api/v1/listings/?currency=GBP&price_min=12.75&price_max=12.75").json()
    assert [row["title"] for row in data["results"]] == ["Euro Middle"]


@settings(max_examples=100, deadline=None)
@given(rate=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("500"), places=10),
       source=st.sampled_from(["EUR", "GBP", "JPY", "SEK"]), target=st.sampled_from(["EUR", "JPY", "CHF"]),
       low=st.integers(min_value=0, max_value=10**7), span=st.integers(min_value=0, max_value=10**6))
def test_price_bounds_are_exactly_the_prices_converting_inside(rate, source, target, low, span):
    high = low + span
    if source == target:
        rate = Decimal(1)
    first, last = price_bounds(source=source, target=target, rate=rate, low=low, high=high)

    def converted(amount: int) -> int:
        return convert(amount, source=source, target=target, rate=rate)

    assert converted(first) >= low and (first == 0 or converted(first - 1) < low)
    assert last == -1 or converted(last) <= high
    assert converted(last + 1) > high
