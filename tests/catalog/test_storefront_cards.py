"""The storefront shows its products with the design system's listing card, each linking to its
product page on the vendor's own host once the marketplace lists it (ADR 0091); another vendor's
products never appear."""

from __future__ import annotations

import re

import pytest

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_storefront_cards_link_to_the_product_page_on_the_vendor_host(client_for, vendor_a, vendor_b, in_schema, relay):
    with in_schema(vendor_a):
        listed = ProductFactory(name="Listed lamp", price_amount=4500)
    relay(vendor_a)
    with in_schema(vendor_a):
        ProductFactory(name="Fresh lamp", price_amount=3900)  # not relayed yet: no marketplace page
    with in_schema(vendor_b):
        ProductFactory(name="Bravo lamp")
    html = client_for(vendor_a).get("/").content.decode()
    cards = re.findall(r'<article class="card h-100 listing-card".*?</article>', html, re.S)
    assert len(cards) == 2
    by_title = {("Listed lamp" if "Listed lamp" in card else "Fresh lamp"): card for card in cards}
    assert f'href="/products/{listed.pk}/{listed.handle}/"' in by_title["Listed lamp"]
    assert "45.00 EUR" in by_title["Listed lamp"] and "listing-picture-fallback" in by_title["Listed lamp"]
    assert "href=" not in by_title["Fresh lamp"] and "39.00 EUR" in by_title["Fresh lamp"]
    assert "Bravo lamp" not in html
    assert listed.pk


def test_storefront_search_without_match_says_so(client_for, vendor_a, in_schema):
    with in_schema(vendor_a):
        ProductFactory(name="Lamp")
    assert "No product of this store matches." in client_for(vendor_a).get("/?q=sofa").content.decode()
