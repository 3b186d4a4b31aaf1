"""Pictures at every size (ADR 0091): renditions in WebP (and AVIF) made with the thumbnail under the
vendor's schema prefix, their srcsets in the listing projection, on cards, storefronts and the
cart; an upload too large is a clear error."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.errors import InvalidImage
from catalog.models import ProductImage
from catalog.services import images as image_services
from marketplace.models import Listing
from orders import services as order_services
from orders.models import CartItem
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _jpeg(width: int, height: int) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(buffer, format="JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def _uploaded(vendor, in_schema, width=1000, height=500):
    with in_schema(vendor):
        product = ProductFactory(name="Lantern", price_amount=2500)
        image = image_services.product_image_add(product=product, upload=_jpeg(width, height), alt="A lantern")
        image_services.product_image_thumbnail_generate(image_id=image.pk)
        return product, ProductImage.objects.get(pk=image.pk)


def test_renditions_are_written_per_width_and_format_under_the_schema_prefix(vendor_a, in_schema, settings):
    _product, image = _uploaded(vendor_a, in_schema, width=1000, height=500)
    formats = image_services.rendition_formats()
    assert "webp" in formats and "avif" in formats  # this Pillow has AVIF (features.check)
    assert sorted((r["width"], r["format"]) for r in image.renditions) == sorted(
        (width, fmt) for width in (200, 400, 800, 1000) for fmt in formats)
    for rendition in image.renditions:
        # Where the image's own storage wrote it (a storage made before this test's MEDIA_ROOT may
        # keep its first location in a full run), under the vendor's schema prefix.
        with in_schema(vendor_a):
            path = Path(image.image.storage.path(rendition["name"]))
        assert path.is_file(), path
        assert f"/{vendor_a.store.schema_name}/" in str(path)
        with Image.open(path) as picture:
            assert picture.format == rendition["format"].upper()
            assert picture.size == (rendition["width"], rendition["width"] // 2)


def test_a_small_upload_is_never_enlarged(vendor_a, in_schema):
    _product, image = _uploaded(vendor_a, in_schema, width=150, height=150)
    assert {r["width"] for r in image.renditions} == {150}


def test_srcsets_reach_the_listing_and_the_cards_of_marketplace_storefront_and_cart(
        vendor_a, in_schema, relay, client_for, buyer):
    product, _image = _uploaded(vendor_a, in_schema)
    relay(vendor_a)
    listing = Listing.objects.get(vendor=vendor_a, product_id=product.pk)
    first = listing.images[0]
    assert re.fullmatch(r"(http://alpha\.marketplace\.localhost/media/\S+\.webp \d+w, )+\S+\.webp 1000w",
                        first["srcset"]), first["srcset"]
    assert first["srcset_avif"].count(".avif ") == 4
    platform = client_for("marketplace.localhost", buyer)
    home = platform.get("/").content.decode()
    assert f'<source type="image/avif" srcset="{first["srcset_avif"]}"' in home
    assert f'<source type="image/webp" srcset="{first["srcset"]}" sizes="(min-width: 992px) 25vw' in home
    storefront = client_for(vendor_a).get("/").content.decode()
    assert re.search(r'<source type="image/webp" srcset="/media/v_alpha/products/\d+/\d+-200w\.webp 200w', storefront), \
        re.findall(r"<picture.*?</picture>", storefront, re.S)
    with in_schema(vendor_a):
        variant = product.variants.get()
    order_services.cart_item_add(cart=order_services.cart_for(user=buyer, create=True), vendor_id=vendor_a.pk,
                                 variant_id=variant.pk)
    cart = platform.get("/cart/").content.decode()
    assert f'<source type="image/webp" srcset="{first["srcset"]}" sizes="64px">' in cart
    assert CartItem.objects.filter(cart__user=buyer).count() == 1


def test_an_image_too_large_is_refused_with_a_clear_error_and_nothing_stored(vendor_a, in_schema, monkeypatch):
    monkeypatch.setattr(image_services, "MAX_IMAGE_BYTES", 1000)
    with in_schema(vendor_a):
        product = ProductFactory(name="Heavy")
        with pytest.raises(InvalidImage) as caught:
            image_services.product_image_add(product=product, upload=_jpeg(800, 800))
        assert caught.value.fields == {"image": ["too_big"]} and "at most" in caught.value.message
        assert not ProductImage.objects.filter(product=product).exists()


def test_deleting_an_image_removes_its_renditions(vendor_a, in_schema, settings, django_capture_on_commit_callbacks):
    _product, image = _uploaded(vendor_a, in_schema)
    paths = [Path(settings.MEDIA_ROOT) / vendor_a.store.schema_name / r["name"] for r in image.renditions]
    with in_schema(vendor_a), django_capture_on_commit_callbacks(execute=True):
        image_services.product_image_delete(image=image)
    assert paths and not any(path.exists() for path in paths)
