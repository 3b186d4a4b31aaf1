"""The listing projection: outbox → relay → marketplace.Listing, versioned and idempotent."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command
from django.db import connection

from catalog import services
from catalog.models import OutboxEvent, Product, Variant
from marketplace.models import Category, Listing
from marketplace.services import listing_apply, listings_hide_for_vendor, listings_show_for_vendor
from tests.factories import ProductFactory
from tests.support.waiting import wait_until
from vendors.models import Vendor

pytestmark = pytest.mark.django_db


def _listing(vendor, product):
    return Listing.objects.get(vendor=vendor, product_id=product.pk)


def test_create_update_archive_and_delete_reach_the_projection(vendor_a, in_schema, relay):
    category = Category.objects.create(name="Hats", slug="hats", path="hats")
    with in_schema(vendor_a):
        product = ProductFactory(name="Felt Hat", sku="FELT-1", price_amount=2500, stock=4,
                                 category_id=category.pk, attributes={"material": "felt"})
    relay(vendor_a)
    listing = _listing(vendor_a, product)
    assert (listing.title, listing.price_min, listing.stock_total, listing.status) == ("Felt Hat", 2500, 4, "active")
    assert listing.category_text == "Hats" and listing.attributes == {"material": "felt"}
    assert listing.vendor_name == vendor_a.name and listing.vendor_visible

    with in_schema(vendor_a):
        services.variant_update(variant=Variant.objects.get(sku="FELT-1"), price_amount=2700)
        services.product_update(product=product, name="Felt Fedora")
    relay(vendor_a)
    listing.refresh_from_db()
    assert (listing.title, listing.price_min) == ("Felt Fedora", 2700)

    with in_schema(vendor_a):
        services.product_update(product=product, status="archived")
    relay(vendor_a)
    listing.refresh_from_db()
    assert listing.status == "archived"

    with in_schema(vendor_a):
        services.product_delete(product=Product.objects.get(pk=product.pk))
    relay(vendor_a)
    listing.refresh_from_db()
    assert listing.status == "deleted"
    with in_schema(vendor_a):
        assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()


def test_replayed_and_out_of_order_events_change_nothing(vendor_a, in_schema, relay):
    with in_schema(vendor_a):
        product = ProductFactory(name="Replay Mug", sku="RM-1", price_amount=900)
        services.product_update(product=product, name="Replay Mug v2")
        events = list(OutboxEvent.objects.filter(product_id=product.pk).order_by("version"))
    relay(vendor_a)
    listing = _listing(vendor_a, product)
    assert listing.title == "Replay Mug v2"
    newest = listing.version
    # Replay every event again, oldest first, and an old one last: the newest state stays.
    for event in [*events, events[0]]:
        applied = listing_apply(vendor=vendor_a, product_id=event.product_id, version=event.version,
                                payload=event.payload)
        assert applied is False
    listing.refresh_from_db()
    assert (listing.title, listing.version) == ("Replay Mug v2", newest)


def test_a_late_change_event_cannot_resurrect_a_deleted_product(vendor_a, in_schema, relay):
    with in_schema(vendor_a):
        product = ProductFactory(name="Ghost", sku="GH-1")
        created = OutboxEvent.objects.get(product_id=product.pk)
        services.product_delete(product=product)
    relay(vendor_a)
    assert listing_apply(vendor=vendor_a, product_id=product.pk, version=created.version,
                         payload=created.payload) is False
    assert _listing(vendor_a, product).status == "deleted"


def test_suspended_vendor_listings_are_hidden_at_once_and_shown_again(vendor_a, in_schema, relay, platform_client):
    with in_schema(vendor_a):
        product = ProductFactory(name="Suspense Lamp", sku="SL-1")
    relay(vendor_a)
    assert b"Suspense Lamp" in platform_client.get("/search/?q=lamp").content
    Vendor.objects.filter(pk=vendor_a.pk).update(status="suspended")
    assert listings_hide_for_vendor(vendor_id=vendor_a.pk) == 1
    assert b"Suspense Lamp" not in platform_client.get("/search/?q=lamp").content
    assert platform_client.get(f"/p/{_listing(vendor_a, product).pk}/").status_code == 404
    # While suspended, a new change keeps it hidden, and showing is refused.
    with in_schema(vendor_a):
        services.product_update(product=product, name="Suspense Lamp 2")
    relay(vendor_a)
    assert listings_show_for_vendor(vendor_id=vendor_a.pk) == 0
    assert _listing(vendor_a, product).vendor_visible is False
    Vendor.objects.filter(pk=vendor_a.pk).update(status="active")
    assert listings_show_for_vendor(vendor_id=vendor_a.pk) == 1
    assert b"Suspense Lamp 2" in platform_client.get("/search/?q=lamp").content


def test_vendor_that_cannot_take_charges_is_not_listed(vendor_a, in_schema, relay):
    Vendor.objects.filter(pk=vendor_a.pk).update(charges_enabled=False)
    with in_schema(vendor_a):
        product = ProductFactory(name="Unapproved Kettle", sku="UK-1")
    relay(vendor_a)
    assert _listing(vendor_a, product).vendor_visible is False


def test_rebuild_listings_restores_the_projection_from_the_schemas(vendor_a, vendor_b, in_schema, relay):
    with in_schema(vendor_a):
        kept = ProductFactory(name="Kept Bowl", sku="KB-1")
    with in_schema(vendor_b):
        other = ProductFactory(name="Bravo Plate", sku="BP-1")
    relay(vendor_a)
    relay(vendor_b)
    # Damage the projection: a wrong title, a missing row, and a row for a product that is gone.
    Listing.objects.filter(vendor=vendor_a, product_id=kept.pk).update(title="WRONG")
    Listing.objects.filter(vendor=vendor_b, product_id=other.pk).delete()
    listing_apply(vendor=vendor_a, product_id=999_999, version=1, payload={"title": "Stale", "status": "active"})
    call_command("rebuild_listings")
    assert _listing(vendor_a, kept).title == "Kept Bowl"
    assert _listing(vendor_b, other).title == "Bravo Plate"
    assert Listing.objects.get(vendor=vendor_a, product_id=999_999).status == "deleted"
    assert connection.schema_name == "public"


@pytest.mark.django_db(transaction=True)
def test_the_real_worker_relays_a_vendor_write_within_seconds(task_worker, vendor_a, in_schema, capsys):
    with in_schema(vendor_a):
        started = time.monotonic()
        product = ProductFactory(name="Worker Teapot", sku="WT-1")
    wait_until(lambda: Listing.objects.filter(vendor=vendor_a, product_id=product.pk).exists(), timeout=30,
               message="the relay did not publish the product")
    lag = time.monotonic() - started
    with capsys.disabled():
        print(f"\nprojection lag (commit → listing visible): {lag * 1000:.0f} ms")
    with in_schema(vendor_a):
        assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()
        Product.objects.all().delete()
        OutboxEvent.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_beat_sweep_relays_pending_events_of_every_schema(task_worker, vendor_a, vendor_b, in_schema):
    from catalog.tasks import outbox_relay_sweep

    products = {}
    try:
        for vendor in (vendor_a, vendor_b):
            with in_schema(vendor):
                # Written as if the on-commit relay had been lost.
                product = Product.objects.create(name=f"Swept {vendor.slug}", handle="swept", status="active")
                OutboxEvent.objects.create(event_type="product.changed", product_id=product.pk, version=1,
                                           payload={"title": product.name, "status": "active"})
                products[vendor.pk] = product.pk
        assert outbox_relay_sweep.delay().get(timeout=30) == 2
        wait_until(lambda: all(Listing.objects.filter(vendor=vendor, product_id=products[vendor.pk]).exists()
                               for vendor in (vendor_a, vendor_b)), timeout=30, message="the sweep did not relay")
        for vendor in (vendor_a, vendor_b):
            assert Listing.objects.get(vendor=vendor, product_id=products[vendor.pk]).title == f"Swept {vendor.slug}"
    finally:
        for vendor in (vendor_a, vendor_b):
            with in_schema(vendor):
                Product.objects.all().delete()
                OutboxEvent.objects.all().delete()


def test_projection_never_stores_unsafe_html_even_from_a_forged_event(vendor_a):
    from tests.marketplace.helpers import payload

    body = payload("Forged")
    body["description_html"] = '<p>ok</p><script>alert(1)</script><img src=x onerror="alert(2)">'
    listing_apply(vendor=vendor_a, product_id=424242, version=1, payload=body)
    html = Listing.objects.get(vendor=vendor_a, product_id=424242).description_html
    assert "<p>ok</p>" in html and "script" not in html and "onerror" not in html


def test_stock_changed_by_other_apps_is_published_through_the_hook(vendor_a, in_schema, relay):
    from django.db.models import F

    from catalog.services import variants_changed_publish

    with in_schema(vendor_a):
        product = ProductFactory(name="Reserved Vase", sku="RV-1", stock=1)
        variant = product.variants.get()
    relay(vendor_a)
    with in_schema(vendor_a):
        Variant.objects.filter(pk=variant.pk).update(stock=F("stock") - 1)  # e.g. a checkout reservation
        assert variants_changed_publish(variant_ids=[variant.pk]) == 1
    relay(vendor_a)
    listing = _listing(vendor_a, product)
    assert (listing.stock_total, listing.in_stock) == (0, False)
