"""Facet samples (ADR 0064): attribute filters counted from the covering facet index, the counts
those of the results; the result pages keep the indexable attribute filter."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace import search
from marketplace.models import Category
from marketplace.search import SearchParams
from tests.factories import VendorFactory
from tests.marketplace.helpers import make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def socks(db: Any) -> dict[str, Any]:
    outdoor = Category.objects.create(name="Outdoor", slug="outdoor", path="outdoor")
    knit = Category.objects.create(name="Knitwear", slug="knit", path="outdoor/knit", parent=outdoor, depth=1)
    shoes = Category.objects.create(name="Shoes", slug="shoes", path="outdoor/shoes", parent=outdoor, depth=1)
    acme, globex = VendorFactory(slug="acme", name="Acme"), VendorFactory(slug="globex", name="Globex")
    rows = [  # (vendor, category, price, stock, material)
        (acme, knit, 1500, 5, "wool"), (acme, knit, 2400, 0, "wool"), (acme, shoes, 1200, 3, "wool"),
        (globex, knit, 1800, 2, "wool"), (globex, shoes, 9000, 1, "leather"), (globex, knit, 2000, 4, "cotton"),
    ]
    for n, (vendor, category, price, stock, material) in enumerate(rows):
        make_listing(vendor, f"Item {n}", price=price, stock=stock, category_id=category.pk,
                     attributes={"material": material, "size": str(40 + n)})
    return {"outdoor": outdoor}


def test_facet_counts_with_an_attribute_filter_are_those_of_the_results(socks: dict[str, Any]) -> None:
    params = SearchParams(category="outdoor", attributes=(("material", "wool"),), in_stock=True,
                          price_min=1000, price_max=2500)
    facets, total = search.backend.facets(params)  # type: ignore[attr-defined]
    assert total == len(search.search(params).results) == 3  # items 0, 2, 3
    assert {f.value: f.count for f in facets["category"]} == {"outdoor/knit": 2, "outdoor/shoes": 1}
    assert {f.value: f.count for f in facets["vendor"]} == {"acme": 2, "globex": 1}
    # in stock: those in stock among the matches of every other filter (item 1 has none)
    assert facets["in_stock"][0].count == 3
    # the price facet ignores the price range: item 5 would be 10-25 but is cotton
    assert {f.value: f.count for f in facets["price"]} == {"0-10": 0, "10-25": 3, "25-50": 0, "50-100": 0, "100-": 0}
    assert not any(f.capped for group in facets.values() for f in group)


def test_only_the_facet_samples_take_the_attribute_filter_off_the_gin_index(socks: dict[str, Any]) -> None:
    params = SearchParams(category="outdoor", attributes=(("material", "wool"),), sort="price_asc")
    with CaptureQueriesContext(connection) as queries:
        search.search(params)
    facet_sql = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("WITH s AS MATERIALIZED")]
    page_sql = [q["sql"] for q in queries.captured_queries
                if "marketplace_listing" in q["sql"] and not q["sql"].startswith("WITH s AS")]
    assert facet_sql and all('COALESCE(("marketplace_listing"."attributes" @>' in sql for sql in facet_sql)
    # (The page of a price sort has a COALESCE of its own: the converted price, ADR 0087.)
    assert any('"marketplace_listing"."attributes" @>' in sql and 'COALESCE(("marketplace_listing"."attributes" @>'
               not in sql for sql in page_sql)


def test_the_covering_facet_index_holds_every_column_a_sample_reads() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_indexdef('listing_facet_cover'::regclass)")
        definition = cursor.fetchone()[0]
    assert "(category_id, price_min) INCLUDE (vendor_id, currency, in_stock, attributes, rating, rating_count)" in definition
    assert "WHERE (((status)::text = 'active'::text) AND vendor_visible)" in definition
