"""Catalog isolation: vendor B's API, dashboard, storefront, imports, tasks and files never reach A's catalog."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import CsvImport, Product, ProductImage, StockAdjustment, Variant
from catalog.services import outbox_publish_pending
from marketplace.models import Listing
from tests.factories import ProductFactory
from tests.support.state import rows
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def product_a(vendor_a, in_schema):
    with in_schema(vendor_a):
        return ProductFactory(name="Alpha Secret Kite", sku="ALPHA-KITE", price_amount=3100, stock=2)


def test_b_api_cannot_reach_a_variants_stock_images_or_bulk(client_for, vendor_a, vendor_b, owner_b, product_a, in_schema):
    api = client_for(vendor_b, owner_b)
    with in_schema(vendor_a):
        variant = product_a.variants.get()
        before = rows(Product, Variant, ProductImage, StockAdjustment)
    base = f"/api/v1/vendor/products/{product_a.pk}/"
    assert api.get(base).status_code == 404
    assert api.post(f"{base}variants/", data={"sku": "X", "price_amount": 1}, content_type="application/json").status_code == 404
    assert api.patch(f"{base}variants/{variant.pk}/", data={"price_amount": 1}, content_type="application/json").status_code == 404
    assert api.post(f"{base}variants/{variant.pk}/stock/", data={"delta": -2, "reason": "damaged"},
                    content_type="application/json").status_code == 404
    assert api.post(f"{base}images/", data={"image": SimpleUploadedFile("a.png", b"x")}).status_code == 404
    bulk = api.post("/api/v1/vendor/products/bulk/", data={"action": "archive", "ids": [product_a.pk]},
                    content_type="application/json")
    assert bulk.json() == {"changed": 0}
    assert b"ALPHA-KITE" not in api.get("/api/v1/vendor/products/export/").getvalue()
    with in_schema(vendor_a):
        product = Product.objects.get(pk=product_a.pk)
        variant.refresh_from_db()
        assert rows(Product, Variant, ProductImage, StockAdjustment) == before
    assert (product.status, variant.stock, variant.price_amount) == ("active", 2, 3100)


def test_b_dashboard_pages_are_404_for_a_ids(client_for, vendor_a, vendor_b, owner_b, product_a, in_schema):
    with in_schema(vendor_a):
        variant = product_a.variants.get()
    client = client_for(vendor_b, owner_b)
    assert client.get(f"/dashboard/products/{product_a.pk}/").status_code == 404
    assert client.get(f"/dashboard/products/{product_a.pk}/variants/{variant.pk}/stock/").status_code == 404
    assert client.post(f"/dashboard/products/{product_a.pk}/variants/{variant.pk}/stock/",
                       {"delta": "-2", "reason": "damaged"}).status_code == 404
    assert b"ALPHA-KITE" not in client.get("/dashboard/stock/low/").content
    assert b"ALPHA-KITE" not in client.get("/dashboard/products/export.csv").getvalue()
    client.post("/dashboard/products/bulk/", {"ids": [str(product_a.pk)], "action": "archive"})
    with in_schema(vendor_a):
        assert Product.objects.get(pk=product_a.pk).status == "active"


def test_a_staff_cannot_use_b_catalog_pages_or_api(client_for, vendor_b, owner_a):
    client = client_for(vendor_b, owner_a)
    for url in ("/dashboard/products/new/", "/dashboard/imports/", "/dashboard/stock/low/",
                "/dashboard/products/export.csv"):
        assert client.get(url).status_code == 404, url
    assert client.get("/api/v1/vendor/imports/1/").status_code == 403


def test_b_import_job_of_a_is_404_and_b_import_writes_only_into_b(client_for, vendor_a, vendor_b, owner_a, owner_b, in_schema):
    with in_schema(vendor_a):
        job = CsvImport.objects.create(original_name="alpha.csv")
    assert client_for(vendor_b, owner_b).get(f"/dashboard/imports/{job.pk}/").status_code == 404
    assert client_for(vendor_b, owner_b).get(f"/api/v1/vendor/imports/{job.pk}/").status_code == 404
    from catalog.csv_io import csv_import_run

    with in_schema(vendor_b):
        b_job = CsvImport.objects.create(original_name="b.csv")
        b_job.file.save("b.csv", SimpleUploadedFile("b.csv", b"handle,name,sku,price\nmug,Mug,B-IMPORT-1,3.00\n"))
        assert csv_import_run(import_id=b_job.pk).imported_rows == 1
    with in_schema(vendor_a):
        assert not Variant.objects.filter(sku="B-IMPORT-1").exists()


def test_storefront_and_projection_keep_vendors_apart(client_for, vendor_a, vendor_b, product_a, in_schema):
    with in_schema(vendor_b):
        ProductFactory(name="Bravo Public Drum", sku="B-DRUM")
        outbox_publish_pending()
    with in_schema(vendor_a):
        outbox_publish_pending()
    assert b"Alpha Secret Kite" not in client_for(vendor_b).get("/").content
    assert b"Alpha Secret Kite" in client_for(vendor_a).get("/").content
    assert b"Bravo Public Drum" not in client_for(vendor_a).get("/").content
    # Each relay wrote only its own vendor's listing.
    assert set(Listing.objects.filter(title="Alpha Secret Kite").values_list("vendor_id", flat=True)) == {vendor_a.pk}
    assert set(Listing.objects.filter(title="Bravo Public Drum").values_list("vendor_id", flat=True)) == {vendor_b.pk}
    # The marketplace shows both, with each on its own vendor.
    page = client_for("marketplace.localhost").get("/search/?q=kite")
    assert b"Alpha Secret Kite" in page.content and b"Bravo Public Drum" not in page.content


def test_image_of_a_is_not_served_on_b_host(client_for, vendor_a, vendor_b, owner_a, product_a):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="PNG")
    response = client_for(vendor_a, owner_a).post(
        f"/api/v1/vendor/products/{product_a.pk}/images/",
        data={"image": SimpleUploadedFile("k.png", buffer.getvalue(), "image/png")})
    url = response.json()["url"]
    try:
        assert client_for(vendor_a).get(url).status_code == 200
        assert client_for(vendor_b).get(url).status_code == 404
    finally:
        from django.core.files.storage import default_storage
        from django_tenants.utils import schema_context

        with schema_context(vendor_a.store.schema_name):
            default_storage.delete(url.split(f"/media/{vendor_a.store.schema_name}/", 1)[1])


@pytest.mark.django_db(transaction=True)
def test_relay_task_queued_in_b_publishes_only_b_events(task_worker, vendor_a, vendor_b, in_schema):
    from catalog.models import OutboxEvent
    from catalog.tasks import outbox_relay

    try:
        with in_schema(vendor_a):
            # Written without committing a relay for A: A's event must stay pending.
            a_product = Product.objects.create(name="Alpha Quiet", handle="alpha-quiet", status="active")
            OutboxEvent.objects.create(event_type="product.changed", product_id=a_product.pk, version=1,
                                       payload={"title": "Alpha Quiet", "status": "active"})
        with in_schema(vendor_b):
            b_product = Product.objects.create(name="Bravo Loud", handle="bravo-loud", status="active")
            OutboxEvent.objects.create(event_type="product.changed", product_id=b_product.pk, version=1,
                                       payload={"title": "Bravo Loud", "status": "active"})
            assert outbox_relay.delay().get(timeout=30) >= 1
        wait_until(lambda: Listing.objects.filter(vendor=vendor_b, product_id=b_product.pk).exists(), timeout=30,
                   message="vendor B's listing projected")
        assert not Listing.objects.filter(vendor=vendor_a).exists()
        with in_schema(vendor_a):
            assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 1
    finally:
        for vendor in (vendor_a, vendor_b):
            with in_schema(vendor):
                Product.objects.all().delete()
                OutboxEvent.objects.all().delete()
