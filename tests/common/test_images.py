"""One image check (common.images) for review photos, product images and storefront logos and
banners: a file too large, a file that is no image, a decompression bomb and a format not allowed
are each refused with their own clear message, and nothing is stored."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.errors import InvalidImage
from catalog.models import ProductImage
from catalog.services import product_image_add
from common.images import JPEG_PNG_WEBP, ImageRejected, ImageRules, image_check
from reviews.errors import InvalidReviewPhoto
from reviews.services import photos_check
from storefront.errors import InvalidBranding
from storefront.models import StorefrontSettings
from storefront.services import storefront_settings_update
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


def _picture(fmt: str, size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 60, 20)).save(buffer, format=fmt)
    return buffer.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header announces `width` × `height` pixels: decoded, it would take
    gigabytes (a decompression bomb); its file is a few dozen bytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


BAD_INPUTS = {
    # 5 MB of picture and padding: the limit of all three is 5 MB.
    "too_big": lambda: SimpleUploadedFile("huge.png", _picture("PNG") + b"0" * (5 * MB), "image/png"),
    "not_an_image": lambda: SimpleUploadedFile("notes.png", b"%PDF-1.7 not a picture at all", "image/png"),
    # 8000 × 8000 = 64 megapixels: above our 40, below Pillow's own refusal (our check on the header).
    "too_many_pixels": lambda: SimpleUploadedFile("bomb.png", _png_claiming(8000, 8000), "image/png"),
    "format": lambda: SimpleUploadedFile("scan.png", _picture("BMP"), "image/png"),
}
MESSAGES = {
    "too_big": "The image is too large: at most 5 MB",
    "not_an_image": "is not an image we can read",
    "too_many_pixels": "The image has too many pixels (at most 40 megapixels)",
    "format": "this one is BMP",
}


@pytest.mark.parametrize("reason", BAD_INPUTS)
def test_the_shared_check_names_what_is_wrong(reason):
    rules = ImageRules(max_bytes=5 * MB, max_pixels=40_000_000, formats=JPEG_PNG_WEBP)
    with pytest.raises(ImageRejected) as caught:
        image_check(BAD_INPUTS[reason](), rules)
    assert caught.value.reason == reason and MESSAGES[reason] in caught.value.message
    assert caught.value.code == "invalid_image" and caught.value.extra == {"reason": reason}


def test_a_bomb_beyond_pillows_own_limit_is_refused_as_too_many_pixels_not_as_unreadable():
    # 30000 × 30000: Pillow itself refuses to open it (DecompressionBombError); same answer.
    rules = ImageRules(max_bytes=5 * MB, max_pixels=40_000_000, formats=JPEG_PNG_WEBP)
    with pytest.raises(ImageRejected) as caught:
        image_check(SimpleUploadedFile("bomb.png", _png_claiming(30_000, 30_000)), rules)
    assert caught.value.reason == "too_many_pixels"


def test_a_good_picture_passes_with_its_format_size_and_bytes():
    data = _picture("WEBP", (64, 48))
    checked = image_check(SimpleUploadedFile("x.bin", data),
                          ImageRules(max_bytes=MB, max_pixels=10_000, formats=JPEG_PNG_WEBP))
    assert (checked.format, checked.extension, checked.width, checked.height, checked.data) == (
        "WEBP", "webp", 64, 48, data)


def _product_image(vendor: Any, in_schema: Any, upload: Any) -> Any:
    with in_schema(vendor):
        return product_image_add(product=ProductFactory(name="Lamp"), upload=upload)


def _storefront_logo(vendor: Any, in_schema: Any, upload: Any) -> Any:
    with in_schema(vendor):
        return storefront_settings_update(logo=upload)


@pytest.mark.parametrize("reason", BAD_INPUTS)
def test_each_upload_refuses_each_bad_input_with_its_own_error_and_stores_nothing(reason, vendor_a, in_schema):
    with pytest.raises(InvalidImage) as product:
        _product_image(vendor_a, in_schema, BAD_INPUTS[reason]())
    assert product.value.fields == {"image": [reason]} and MESSAGES[reason] in product.value.message

    with pytest.raises(InvalidReviewPhoto) as photo:
        photos_check([BAD_INPUTS[reason]()])
    assert MESSAGES[reason] in photo.value.message and photo.value.fields == {"photos": [photo.value.message]}

    with pytest.raises(InvalidBranding) as logo:
        _storefront_logo(vendor_a, in_schema, BAD_INPUTS[reason]())
    assert logo.value.fields == {"logo": [reason]} and MESSAGES[reason] in logo.value.message

    with in_schema(vendor_a):
        assert not ProductImage.objects.exists()
        assert not StorefrontSettings.objects.exclude(logo="").exists()


def test_each_upload_accepts_a_good_picture(vendor_a, in_schema):
    image = _product_image(vendor_a, in_schema, SimpleUploadedFile("ok.png", _picture("PNG")))
    assert (image.width, image.height) == (40, 30)
    [photo] = photos_check([SimpleUploadedFile("ok.jpg", _picture("JPEG"))])
    assert photo.extension == "jpg"
    row = _storefront_logo(vendor_a, in_schema, SimpleUploadedFile("ok.png", _picture("PNG")))
    assert row.logo.name.endswith(".png") and "ok" not in row.logo.name


def test_the_storefront_form_shows_the_error_on_the_field(client_for, vendor_a, owner_a):
    response = client_for(vendor_a, owner_a).post("/dashboard/storefront/", {
        "name": "Alpha", "banner": SimpleUploadedFile("bomb.png", _png_claiming(8000, 8000), "image/png")})
    assert response.status_code == 400
    assert "The image has too many pixels (at most 40 megapixels)." in response.content.decode()
