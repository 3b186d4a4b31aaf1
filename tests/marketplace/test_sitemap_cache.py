"""Sitemaps are cached per host and listing-projection generation (common.page_cache): a repeat
request builds nothing, a listing change shows at once, and a vendor host's cached sitemap is
never another vendor's (nor served once the store stops selling)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketplace.models import Category
from tests.factories import VendorFactory
from tests.marketplace.helpers import make_listing

pytestmark = pytest.mark.django_db
NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(autouse=True)
def _page_cache_on(settings: Any) -> None:
    settings.PAGE_CACHE_SECONDS = 300  # off in the rest of the suite (test settings)


def _locs(body: bytes) -> list[str]:
    return [node.text or "" for node in ET.fromstring(body).iter(f"{NS}loc")]


def _queries(client: Any, path: str) -> tuple[Any, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return response, len(captured)


def test_the_platform_sitemaps_are_built_once_until_a_listing_changes(platform_client):
    Category.objects.create(name="Garden", slug="garden", path="garden")
    vendor = VendorFactory(slug="greenco", name="Green Co")
    spade = make_listing(vendor, "Steel Spade")
    first, built = _queries(platform_client, "/sitemap-listings.xml")
    again, served = _queries(platform_client, "/sitemap-listings.xml")
    assert again.content == first.content and served < built
    assert served <= 2  # the host's tenant only (search_path, domain lookup): no listing read
    assert again["X-Robots-Tag"] == first["X-Robots-Tag"] == "noindex, noodp, noarchive"
    assert again["Content-Type"].startswith("application/xml")
    _index, index_served = _queries(platform_client, "/sitemap.xml")
    assert _queries(platform_client, "/sitemap.xml")[1] <= 2 <= index_served

    rake = make_listing(vendor, "Garden Rake")  # the projection changes: its generation moves on
    listed = _locs(platform_client.get("/sitemap-listings.xml").content)
    assert listed == [f"http://{platform_client.host}/p/{listing.pk}/{listing.handle}/" for listing in (spade, rake)]


def test_each_host_has_its_own_cached_sitemap(client_for, vendor_a, vendor_b):
    from tests.storefront.test_storefront_shop import _listed

    _a, rope = _listed(vendor_a, "Alpha Rope")
    _b, whisk = _listed(vendor_b, "Bravo Whisk")
    alpha, bravo = client_for(vendor_a), client_for(vendor_b)
    alpha_first, alpha_built = _queries(alpha, "/sitemap-products.xml")
    bravo_first = bravo.get("/sitemap-products.xml")
    # The same path on the other host is that host's own list, cached apart.
    assert _locs(alpha_first.content) == [f"http://marketplace.localhost/p/{rope.pk}/{rope.handle}/"]
    assert _locs(bravo_first.content) == [f"http://marketplace.localhost/p/{whisk.pk}/{whisk.handle}/"]
    alpha_again, alpha_served = _queries(alpha, "/sitemap-products.xml")
    assert alpha_again.content == alpha_first.content and alpha_served < alpha_built
    assert bravo.get("/sitemap-products.xml").content == bravo_first.content
    assert f"/p/{rope.pk}/" not in bravo.get("/sitemap.xml").content.decode() + bravo_first.content.decode()

    _a2, tent = _listed(vendor_a, "Alpha Tent")  # vendor A's listings change
    assert f"/p/{tent.pk}/" in alpha.get("/sitemap-products.xml").content.decode()
    assert f"/p/{tent.pk}/" not in bravo.get("/sitemap-products.xml").content.decode()


def test_a_store_that_stops_selling_loses_its_cached_sitemap_at_once(client_for, vendor_a):
    from vendors.models import Vendor

    client = client_for(vendor_a)
    assert client.get("/sitemap.xml").status_code == 200
    Vendor.objects.filter(pk=vendor_a.pk).update(status=Vendor.Status.SUSPENDED)
    assert client.get("/sitemap.xml").status_code == 404
