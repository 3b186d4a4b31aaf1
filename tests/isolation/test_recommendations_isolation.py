"""Recommendations isolation (ADR 0095): co-purchase data spans vendors on the platform's pages
only; a vendor's dashboard, API, analytics and storefront never show another vendor's listings
through it, and the recommendation endpoints do not exist on a vendor's host."""

from __future__ import annotations

from typing import Any

import pytest

from analytics.recommendations import recommendations_refresh
from marketplace.models import Listing
from tests.factories import ProductFactory, UserFactory
from tests.factories.recommendations import basket_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def bought_together(vendor_a: Any, vendor_b: Any, in_schema: Any, relay: Any) -> dict[str, Any]:
    with in_schema(vendor_a):
        tent = ProductFactory(name="Alpha Ridge Tent", sku="ALPHA-TENT", price_amount=18900, stock=4)
    with in_schema(vendor_b):
        ProductFactory(name="Bravo Secret Stove", sku="BRAVO-STOVE", price_amount=4900, stock=4)
    relay(vendor_a)
    relay(vendor_b)
    listing_a = Listing.objects.get(vendor=vendor_a, title="Alpha Ridge Tent")
    listing_b = Listing.objects.get(vendor=vendor_b, title="Bravo Secret Stove")
    buyers = [UserFactory() for _ in range(2)]
    orders = [basket_order(buyer, [listing_a, listing_b]) for buyer in buyers]
    recommendations_refresh()
    return {"tent": tent, "listing_a": listing_a, "listing_b": listing_b, "order": orders[0], "buyer": buyers[0]}


def test_the_platform_shows_the_pair_but_vendor_a_never_sees_b_through_it(
        client_for: Any, platform_client: Any, vendor_a: Any, owner_a: Any, bought_together: dict[str, Any]) -> None:
    listing_a, tent = bought_together["listing_a"], bought_together["tent"]
    # The pair exists: the marketplace's product page shows B's stove with A's tent.
    assert "Bravo Secret Stove" in platform_client.get(f"/p/{listing_a.pk}/{listing_a.handle}/").content.decode()
    vendor = client_for(vendor_a, owner_a)
    pages = ["/dashboard/", "/dashboard/products/", f"/dashboard/analytics/products/{tent.pk}/",
             "/dashboard/analytics/", f"/products/{tent.pk}/{listing_a.handle}/", "/", "/api/v1/vendor/products/"]
    for path in pages:
        response = vendor.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert "Alpha Ridge Tent" in body or path.startswith("/dashboard/analytics/"), path
        assert "Bravo Secret Stove" not in body and "BRAVO-STOVE" not in body, path


def test_recommendation_endpoints_are_not_on_a_vendor_host(
        client_for: Any, vendor_a: Any, owner_a: Any, bought_together: dict[str, Any]) -> None:
    listing_a, order = bought_together["listing_a"], bought_together["order"]
    for client in (client_for(vendor_a, owner_a), client_for(vendor_a, bought_together["buyer"])):
        assert client.get("/recommendations/").status_code == 404
        assert client.post(f"/recommendations/viewed/{listing_a.pk}/").status_code == 404
        assert client.get(f"/orders/{order.pk}/recommendations/").status_code == 404
