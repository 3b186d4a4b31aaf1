"""The dashboard edits and deletes variants, and orders and deletes images; the marketplace
follows through the outbox; another vendor can do none of it, whatever ids it sends."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog import services
from catalog.models import OutboxEvent, Product, ProductImage, Variant
from catalog.selectors import product_snapshot
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dash(client_for, vendor_a, owner_a):
    return client_for(vendor_a, owner_a)


def _png(colour: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 24), colour).save(buffer, format="PNG")
    return SimpleUploadedFile(f"{colour}.png", buffer.getvalue(), content_type="image/png")


def _images(vendor, in_schema, product, colours=("red", "green", "blue")):
    with in_schema(vendor):
        return [services.product_image_add(product=product, upload=_png(c), alt=f"{c} lamp") for c in colours]


@pytest.fixture
def files_removed(vendor_a, in_schema):
    """Delete the image files a test stored (the database rows roll back, the files would stay)."""
    yield
    with in_schema(vendor_a):
        for image in ProductImage.objects.all():
            image.image.delete(save=False)


def test_edit_a_variant_prefilled_saved_and_published(dash, vendor_a, in_schema):
    with in_schema(vendor_a):
        product = services.product_create(name="Desk Lamp", option_types=["colour"], status="active", variants=[
            {"sku": "LAMP-RED", "price_amount": 1250, "compare_at_amount": 1500, "currency": "EUR", "stock": 3,
             "options": {"colour": "red"}}])
        variant = product.variants.get()
        events = OutboxEvent.objects.count()
    url = f"/dashboard/products/{product.pk}/variants/{variant.pk}/"
    page = dash.get(url).content.decode()
    assert 'value="12.50"' in page and 'value="15.00"' in page and 'value="colour=red"' in page
    assert 'name="stock"' not in page  # stock changes only through adjustments, with a reason
    product_page = dash.get(f"/dashboard/products/{product.pk}/").content.decode()
    assert f'href="{url}"' in product_page

    response = dash.post(url, {"sku": "LAMP-RED-2", "options": "colour=crimson", "price": "13.90",
                               "compare_at_price": "", "weight_grams": "800"})
    assert response.status_code == 302
    with in_schema(vendor_a):
        variant.refresh_from_db()
        assert (variant.sku, variant.options, variant.price_amount, variant.compare_at_amount,
                variant.weight_grams, variant.stock) == ("LAMP-RED-2", {"colour": "crimson"}, 1390, None, 800, 3)
        assert OutboxEvent.objects.count() == events + 1  # the marketplace listing follows


def test_bad_variant_edits_are_form_errors_and_change_nothing(dash, vendor_a, in_schema):
    with in_schema(vendor_a):
        product = ProductFactory(sku="KEEP-1", price_amount=2000)
        ProductFactory(sku="TAKEN-1")
        variant = product.variants.get()
    url = f"/dashboard/products/{product.pk}/variants/{variant.pk}/"
    bad_price = dash.post(url, {"sku": "KEEP-1", "options": "", "price": "twelve", "weight_grams": "0"})
    assert bad_price.status_code == 400 and "is-invalid" in bad_price.content.decode()
    taken = dash.post(url, {"sku": "TAKEN-1", "options": "", "price": "20.00", "weight_grams": "0"})
    assert taken.status_code == 400 and "already exists" in taken.content.decode()
    with in_schema(vendor_a):
        variant.refresh_from_db()
        assert (variant.sku, variant.price_amount) == ("KEEP-1", 2000)
    assert dash.get(f"/dashboard/products/{product.pk}/variants/999999/").status_code == 404


def test_delete_a_variant_and_the_last_one_makes_the_product_a_draft(dash, vendor_a, in_schema):
    with in_schema(vendor_a):
        product = ProductFactory(variants=[
            {"sku": "MUG-S", "price_amount": 900, "currency": "EUR", "stock": 2},
            {"sku": "MUG-L", "price_amount": 1100, "currency": "EUR", "stock": 2},
        ])
        small, large = product.variants.order_by("sku").reverse()
    page = dash.get(f"/dashboard/products/{product.pk}/").content.decode()
    assert 'hx-confirm="Delete variant MUG-S?' in page
    # Through htmx (after the browser's confirmation): the page is reloaded with a message.
    response = dash.post(f"/dashboard/products/{product.pk}/variants/{small.pk}/delete/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Redirect"] == f"/dashboard/products/{product.pk}/"
    assert "Variant MUG-S deleted." in dash.get(f"/dashboard/products/{product.pk}/").content.decode()
    with in_schema(vendor_a):
        assert list(product.variants.values_list("sku", flat=True)) == ["MUG-L"]
        assert Product.objects.get(pk=product.pk).status == "active"
    response = dash.post(f"/dashboard/products/{product.pk}/variants/{large.pk}/delete/", follow=True)
    assert "no variant left, so it is a draft" in response.content.decode()
    with in_schema(vendor_a):
        assert Product.objects.get(pk=product.pk).status == "draft"
    assert dash.get(f"/dashboard/products/{product.pk}/variants/{large.pk}/delete/").status_code == 405


def test_make_an_image_the_main_one_and_delete_one(dash, vendor_a, in_schema, files_removed,
                                                   django_capture_on_commit_callbacks):
    with in_schema(vendor_a):
        product = ProductFactory()
    red, _green, blue = _images(vendor_a, in_schema, product)
    page = dash.get(f"/dashboard/products/{product.pk}/").content.decode()
    assert page.index('alt="red lamp"') < page.index('alt="green lamp"') < page.index('alt="blue lamp"')

    assert dash.post(f"/dashboard/products/{product.pk}/images/{blue.pk}/main/").status_code == 302
    with in_schema(vendor_a):
        assert list(product.images.values_list("alt", flat=True)) == ["blue lamp", "red lamp", "green lamp"]
        fresh = Product.objects.prefetch_related("variants", "images").get(pk=product.pk)
        assert product_snapshot(fresh)["image_url"].endswith(blue.image.name)  # the listing's picture
    page = dash.get(f"/dashboard/products/{product.pk}/").content.decode()
    badge = page.index('text-bg-secondary">Main image')
    assert page.index('alt="blue lamp"') < badge < page.index('alt="red lamp"')

    with in_schema(vendor_a):
        stored = Path(red.image.path)
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = dash.post(f"/dashboard/products/{product.pk}/images/{red.pk}/delete/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == f"/dashboard/products/{product.pk}/"
    with in_schema(vendor_a):
        assert list(product.images.values_list("alt", flat=True)) == ["blue lamp", "green lamp"]
    assert not stored.exists()  # the file goes too (after commit)


def test_another_vendor_cannot_edit_or_delete_these_variants_and_images(
    client_for, vendor_a, vendor_b, owner_b, in_schema, files_removed,
):
    with in_schema(vendor_a):
        product = ProductFactory(sku="ALPHA-ONLY", price_amount=3000)
        variant = product.variants.get()
    (image,) = _images(vendor_a, in_schema, product, colours=("red",))
    other = client_for(vendor_b, owner_b)  # Bravo's owner on Bravo's dashboard, with Alpha's ids
    base = f"/dashboard/products/{product.pk}"
    assert other.get(f"{base}/variants/{variant.pk}/").status_code == 404
    assert other.post(f"{base}/variants/{variant.pk}/", {"sku": "STOLEN", "price": "1.00",
                                                        "weight_grams": "0"}).status_code == 404
    assert other.post(f"{base}/variants/{variant.pk}/delete/").status_code == 404
    assert other.post(f"{base}/images/{image.pk}/main/").status_code == 404
    assert other.post(f"{base}/images/{image.pk}/delete/").status_code == 404
    with in_schema(vendor_a):
        assert Variant.objects.get(pk=variant.pk).sku == "ALPHA-ONLY"
        assert ProductImage.objects.filter(pk=image.pk).exists()
