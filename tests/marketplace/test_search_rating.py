"""Ratings in search: written through the projection's `listing_rating_set`, sorted by (with a
keyset cursor), filtered and counted by the rating facet, shown on the page and in the API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.http import QueryDict

from marketplace import search
from marketplace.errors import InvalidListing
from marketplace.search import SearchParams
from marketplace.services import listing_rating_set, rating_mean
from tests.factories import VendorFactory
from tests.marketplace.helpers import make_listing

pytestmark = pytest.mark.django_db


def _rate(listing, count, total):
    return listing_rating_set(vendor_id=listing.vendor_id, product_id=listing.product_id,
                              summarize=lambda: (count, total))


@pytest.fixture
def rated(db):
    vendor = VendorFactory(slug="rated", name="Rated Store")
    rows = {"Lamp Five": (2, 10), "Lamp Four Half": (2, 9), "Lamp Three": (1, 3), "Lamp Two": (3, 6),
            "Lamp Unrated": (0, 0)}
    listings = {}
    for title, (count, total) in rows.items():
        listing = make_listing(vendor, title)
        _rate(listing, count, total)
        listing.refresh_from_db()
        listings[title] = listing
    return listings


def test_the_mean_rounds_half_up_to_two_decimals():
    assert rating_mean(count=3, total=13) == Decimal("4.33")
    assert rating_mean(count=8, total=37) == Decimal("4.63")  # 4.625
    assert rating_mean(count=0, total=0) == Decimal("0.00")


def test_a_summary_outside_one_to_five_stars_is_refused(rated):
    listing = rated["Lamp Three"]
    for count, total in ((1, 6), (2, 1), (0, 3), (-1, 0)):
        with pytest.raises(InvalidListing):
            _rate(listing, count, total)
    listing.refresh_from_db()
    assert (listing.rating, listing.rating_count) == (Decimal("3.00"), 1)


def test_rating_sort_puts_the_best_first_and_the_unrated_last(rated):
    page = search.search(SearchParams(sort="rating"))
    assert [listing.title for listing in page.results] == [
        "Lamp Five", "Lamp Four Half", "Lamp Three", "Lamp Two", "Lamp Unrated"]


def test_rating_sort_pages_cover_everything_once(rated):
    seen, params = [], SearchParams(sort="rating", limit=2)
    while True:
        page = search.search(params)
        seen += [listing.title for listing in page.results]
        if not page.next_cursor:
            break
        params = search.next_page(params, page.next_cursor)
    assert seen == ["Lamp Five", "Lamp Four Half", "Lamp Three", "Lamp Two", "Lamp Unrated"]


def test_rating_facet_counts_and_filters(rated):
    page = search.search(SearchParams())
    assert {f.value: f.count for f in page.facets["rating"]} == {"4": 2, "3": 3, "2": 4, "1": 4}
    filtered = search.search(SearchParams(rating_min=4))
    assert {listing.title for listing in filtered.results} == {"Lamp Five", "Lamp Four Half"}
    # The facet ignores its own filter, so other thresholds stay selectable.
    assert {f.value: (f.count, f.selected) for f in filtered.facets["rating"]}["3"] == (3, False)
    assert [f.selected for f in filtered.facets["rating"]] == [True, False, False, False]


def test_a_new_rating_reaches_cached_facets(rated):
    assert search.search(SearchParams(rating_min=4)).total == 2
    _rate(rated["Lamp Three"], 1, 5)
    assert search.search(SearchParams(rating_min=4)).total == 3


def test_bad_rating_parameters_are_reported(rated):
    params, errors = search.params_from_query(QueryDict("rating_min=9&sort=rating&cursor=WyJyYXRpbmciLDEsMV0"))
    assert params.rating_min is None and errors == {"rating_min": ["invalid"], "cursor": ["invalid"]}


def test_page_and_api_offer_the_rating_sort_and_facet(rated, platform_client):
    html = platform_client.get("/search/", {"rating_min": "4", "sort": "rating"}).content.decode()
    assert 'value="rating" selected' in html and 'data-facet="rating"' in html
    assert "4 stars and up" in html and "Lamp Two" not in html
    body = platform_client.get("/api/v1/listings/", {"rating_min": "4", "sort": "rating"}).json()
    assert [r["title"] for r in body["results"]] == ["Lamp Five", "Lamp Four Half"]
    assert body["results"][1]["rating"] == "4.50"
    assert platform_client.get("/api/v1/listings/", {"rating_min": "6"}).status_code == 400
