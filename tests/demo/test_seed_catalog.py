"""The demo catalog: deterministic, idempotent, every product pictured, hand-picked features."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from catalog.models import Product, ProductImage, Variant
from demo.catalog import catalog_plan
from demo.seed import demo_seed
from demo.stores import DEMO_STORES
from marketplace import selectors
from marketplace.models import Listing
from vendors.models import Vendor

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    counts = {"vendors": Vendor.objects.count(), "listings": Listing.objects.count()}
    for vendor in Vendor.objects.filter(store__isnull=False).select_related("store"):
        with schema_context(vendor.store.schema_name):
            counts[f"{vendor.slug}.products"] = Product.objects.count()
            counts[f"{vendor.slug}.variants"] = Variant.objects.count()
            counts[f"{vendor.slug}.images"] = ProductImage.objects.count()
    return counts


def test_the_plan_is_the_same_on_every_run_and_differs_between_stores():
    first = catalog_plan(DEMO_STORES[3], products=10)
    again = catalog_plan(DEMO_STORES[3], products=10)
    assert [(p.name, p.description, p.variants) for p in first] == [
        (p.name, p.description, p.variants) for p in again]
    assert len({p.name for p in first}) == 10
    assert {p.shelf.category for p in first} == {s.category for s in DEMO_STORES[3].shelves}
    assert {p.name for p in first}.isdisjoint(p.name for p in catalog_plan(DEMO_STORES[4], products=10))
    assert all(v["currency"] == "SEK" for p in first for v in p.variants)


def test_seed_twice_gives_the_same_catalog_with_a_picture_and_thumbnail_for_every_product():
    logins = demo_seed(stores=2, products_per_store=4)
    after_first = _counts()
    again = demo_seed(stores=2, products_per_store=4)

    assert _counts() == after_first
    assert logins.created_products == 8 and again.created_products == 0
    assert after_first["acme.products"] == 4 and after_first["globex.products"] == 4
    for slug in ("acme", "globex"):
        with schema_context(Vendor.objects.get(slug=slug).store.schema_name):
            assert not Product.objects.filter(images__isnull=True).exists()
            assert set(ProductImage.objects.values_list("thumbnail_status", flat=True)) == {"ready"}
            image = ProductImage.objects.first()
            with image.image.open("rb") as picture:
                assert picture.read(3) == b"\xff\xd8\xff"  # a JPEG, drawn at seed time
            with image.thumbnail.open("rb") as thumbnail:
                assert thumbnail.read(12)[8:] == b"WEBP"
    listings = Listing.objects.filter(status="active")
    assert listings.count() == 8
    assert not listings.filter(thumbnail_url="").exists()
    emails = [row[1] for row in logins.rows]
    assert {"admin@example.com", "buyer@example.com", "owner@acme.example.com",
            "owner@globex.example.com"} <= set(emails)


def test_featured_products_are_the_hand_picked_ones_first():
    demo_seed(stores=2, products_per_store=3)
    featured = list(selectors.listings_featured(limit=8))
    picked = list(Listing.objects.filter(featured_position__isnull=False).order_by("featured_position"))
    assert len(picked) == 2
    assert featured[:2] == picked
    newest = Listing.objects.filter(status="active").order_by("-product_created_at", "-id").first()
    assert featured[0] != newest


@pytest.mark.slow
def test_the_full_seed_makes_every_store_with_its_whole_pictured_catalog():
    """What `make run` seeds (its orders come on top: tests/demo/test_seed_history.py)."""
    logins = demo_seed()
    slugs = [store.slug for store in DEMO_STORES]
    listings = Listing.objects.filter(status="active", vendor_visible=True, vendor__slug__in=slugs)
    assert Vendor.objects.filter(store__status="ready", slug__in=slugs).count() == len(DEMO_STORES) == 12
    assert logins.created_products == listings.count() == 12 * 25
    assert not listings.filter(thumbnail_url="").exists()
    assert set(listings.values_list("currency", flat=True)) == {"EUR", "GBP", "SEK", "DKK", "CHF", "PLN"}
    assert Listing.objects.filter(featured_position__isnull=False).count() == 8
    assert demo_seed().created_products == 0
