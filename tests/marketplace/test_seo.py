"""Search-engine visibility on the platform host (ADR 0090): sitemaps, robots.txt, canonical and
hreflang links, Open Graph, schema.org JSON-LD, and old category addresses redirecting."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import pytest

from marketplace.models import Category, Listing
from marketplace.services import category_update
from tests.factories import VendorFactory
from tests.marketplace.helpers import make_listing

pytestmark = pytest.mark.django_db
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def _locs(body: bytes) -> list[str]:
    return [node.text or "" for node in ET.fromstring(body).iter(f"{{{NS['sm']}}}loc")]


def json_ld(body: str) -> list[dict[str, Any]]:
    return [json.loads(block) for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)]


def product_schema_problems(data: dict[str, Any]) -> list[str]:
    """What schema.org's Product/Offer (and the search engines reading them) require."""
    problems = []
    if data.get("@context") != "https://schema.org" or data.get("@type") != "Product":
        problems.append("not a schema.org Product")
    if not data.get("name"):
        problems.append("Product.name missing")
    if not any(key in data for key in ("offers", "review", "aggregateRating")):
        problems.append("Product needs offers, review or aggregateRating")
    for offer in data.get("offers", []):
        if offer.get("@type") != "Offer":
            problems.append("offer is not an Offer")
        if not re.fullmatch(r"\d+(\.\d+)?", str(offer.get("price", ""))):
            problems.append(f"Offer.price not a plain number: {offer.get('price')!r}")
        if not re.fullmatch(r"[A-Z]{3}", str(offer.get("priceCurrency", ""))):
            problems.append("Offer.priceCurrency not ISO 4217")
        if offer.get("availability") not in ("https://schema.org/InStock", "https://schema.org/OutOfStock"):
            problems.append("Offer.availability not a schema.org ItemAvailability")
    rating = data.get("aggregateRating")
    if rating is not None:
        if rating.get("@type") != "AggregateRating":
            problems.append("aggregateRating is not an AggregateRating")
        if not 1 <= float(rating.get("ratingValue", 0)) <= 5:
            problems.append("ratingValue outside 1..5")
        if int(rating.get("reviewCount", 0)) < 1:
            problems.append("reviewCount below 1")
    return problems


@pytest.fixture
def shop(db: Any) -> dict[str, Any]:
    garden = Category.objects.create(name="Garden", slug="garden", path="garden")
    vendor = VendorFactory(slug="greenco", name="Green Co")
    spade = make_listing(vendor, "Steel Spade", price=2599, category_id=garden.pk, description="A <b>spade</b> & more")
    Listing.objects.filter(pk=spade.pk).update(rating=Decimal("4.50"), rating_count=2)
    hidden = make_listing(vendor, "Hidden Rake", status="draft")
    return {"garden": garden, "vendor": vendor, "spade": Listing.objects.get(pk=spade.pk), "hidden": hidden}


def test_sitemap_index_names_each_section_and_sections_list_categories_and_visible_listings(platform_client, shop):
    index = platform_client.get("/sitemap.xml")
    assert index.status_code == 200 and index["Content-Type"].startswith("application/xml")
    sections = _locs(index.content)
    assert sorted(sections) == sorted(f"http://{platform_client.host}/sitemap-{name}.xml"
                                      for name in ("pages", "categories", "listings"))
    listings = _locs(platform_client.get("/sitemap-listings.xml").content)
    spade = shop["spade"]
    assert listings == [f"http://{platform_client.host}/p/{spade.pk}/{spade.handle}/"]
    assert _locs(platform_client.get("/sitemap-categories.xml").content) == [f"http://{platform_client.host}/c/garden/"]
    assert platform_client.get("/sitemap-nothing.xml").status_code == 404


def test_robots_txt_keeps_crawlers_off_private_pages_and_names_every_selling_store_sitemap(platform_client, vendor_a):
    body = platform_client.get("/robots.txt").content.decode()
    assert "Disallow: /cart/" in body and "Disallow: /ops/" in body and "Disallow: /search/" in body
    assert f"Sitemap: http://{platform_client.host}/sitemap.xml" in body
    assert f"Sitemap: http://{vendor_a.host}/sitemap.xml" in body


def test_robots_txt_on_a_staging_deployment_disallows_everything(platform_client, settings):
    settings.ROBOTS_DISALLOW_ALL = True
    body = platform_client.get("/robots.txt").content.decode()
    assert "Disallow: /\n" in body and "Sitemap:" not in body


def test_listing_page_has_canonical_hreflang_description_open_graph_and_valid_product_json_ld(platform_client, shop):
    spade = shop["spade"]
    body = platform_client.get(f"/p/{spade.pk}/{spade.handle}/?utm_source=x").content.decode()
    canonical = f"http://{platform_client.host}/p/{spade.pk}/{spade.handle}/"
    assert f'<link rel="canonical" href="{canonical}">' in body
    for code in ("en", "de", "fr"):
        assert f'<link rel="alternate" hreflang="{code}" href="{canonical}?lang={code}">' in body
    assert f'<link rel="alternate" hreflang="x-default" href="{canonical}">' in body
    assert '<meta name="description" content="A spade &amp; more">' in body
    assert '<meta property="og:type" content="product">' in body
    assert '<meta property="product:price:amount" content="25.99">' in body
    [data] = json_ld(body)
    assert product_schema_problems(data) == []
    assert data["offers"][0]["price"] == "25.99" and data["offers"][0]["priceCurrency"] == "EUR"
    assert data["aggregateRating"] == {"@type": "AggregateRating", "ratingValue": "4.50", "reviewCount": 2,
                                       "bestRating": "5", "worstRating": "1"}


def test_json_ld_cannot_be_broken_out_of_by_a_title(platform_client, shop):
    listing = make_listing(shop["vendor"], "Evil </script><script>alert(1)</script>")
    Listing.objects.filter(pk=listing.pk).update(handle="evil")
    listing.refresh_from_db()
    body = platform_client.get(f"/p/{listing.pk}/{listing.handle}/").content.decode()
    assert "</script><script>alert(1)" not in body
    assert json_ld(body)[0]["name"] == "Evil </script><script>alert(1)</script>"


def test_unreviewed_listing_has_no_aggregate_rating_and_stays_valid(platform_client, shop):
    listing = make_listing(shop["vendor"], "Plain Hoe", stock=0)
    [data] = json_ld(platform_client.get(f"/p/{listing.pk}/{listing.handle}/").content.decode())
    assert "aggregateRating" not in data and product_schema_problems(data) == []
    assert data["offers"][0]["availability"] == "https://schema.org/OutOfStock"


def test_lang_parameter_shows_the_page_in_that_language(platform_client, shop):
    body = platform_client.get("/?lang=de").content.decode()
    assert '<html lang="de"' in body
    assert '<html lang="en"' in platform_client.get("/?lang=xx").content.decode()


def test_renamed_listing_handle_redirects_permanently(platform_client, shop):
    spade = shop["spade"]
    response = platform_client.get(f"/p/{spade.pk}/old-name/")
    assert response.status_code == 301 and response["Location"] == f"/p/{spade.pk}/{spade.handle}/"


def test_renamed_and_moved_category_keeps_its_old_addresses_as_permanent_redirects(platform_client, shop):
    tools = Category.objects.create(name="Tools", slug="tools", path="garden/tools", parent=shop["garden"], depth=1)
    category_update(category=shop["garden"], slug="outdoor")
    response = platform_client.get("/c/garden/tools/?sort=price_asc")
    assert response.status_code == 301 and response["Location"] == "/c/outdoor/tools/?sort=price_asc"
    assert platform_client.get("/c/garden/")["Location"] == "/c/outdoor/"
    # A new category may take the old address back: it is then its own page, no longer a redirect.
    Category.objects.create(name="Garden", slug="garden", path="garden")
    assert platform_client.get("/c/garden/").status_code == 200
    tools.refresh_from_db()
    assert tools.path == "outdoor/tools"
    assert platform_client.get("/c/nowhere/").status_code == 404
