"""Product images: checked by their bytes, thumbnails and responsive renditions (WebP, AVIF where
Pillow has it) made in the background, main image, delete."""

from __future__ import annotations

import io

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError, features

from catalog.errors import InvalidImage
from catalog.models import (
    Product,
    ProductImage,
    product_image_path,
)
from catalog.services.outbox import outbox_write
from common.images import JPEG_PNG_WEBP_GIF, CheckedImage, ImageRejected, ImageRules, image_check

MAX_IMAGE_BYTES = 5 * 1024 * 1024


MAX_IMAGE_PIXELS = 40_000_000


ALLOWED_IMAGE_FORMATS = set(JPEG_PNG_WEBP_GIF)


THUMBNAIL_SIZE = (400, 400)


# Widths for srcset: a phone card (200), a desktop card (400), a product page (800, 1200 for dense
# screens). None wider than the upload itself.
RENDITION_WIDTHS = (200, 400, 800, 1200)
RENDITION_QUALITY = {"webp": 80, "avif": 60}


def rendition_formats() -> tuple[str, ...]:
    """WebP always; AVIF when this Pillow was built with it (smaller at the same quality)."""
    return ("avif", "webp") if features.check("avif") else ("webp",)


def _renditions_encode(picture: Image.Image) -> list[tuple[int, str, bytes]]:
    """(width, format, bytes) for every width up to the picture's own and every format."""
    source = picture if picture.mode in ("RGB", "RGBA") else picture.convert("RGBA")
    widths = [w for w in RENDITION_WIDTHS if w < source.width] + [min(source.width, RENDITION_WIDTHS[-1])]
    found = []
    for width in sorted(set(widths)):
        height = max(1, round(source.height * width / source.width))
        resized = source.resize((width, height), Image.Resampling.LANCZOS) if width != source.width else source
        for fmt in rendition_formats():
            out = io.BytesIO()
            resized.save(out, format=fmt.upper(), quality=RENDITION_QUALITY[fmt])
            found.append((width, fmt, out.getvalue()))
    return found


def _image_check(upload: UploadedFile) -> CheckedImage:
    try:
        return image_check(upload, ImageRules(max_bytes=MAX_IMAGE_BYTES, max_pixels=MAX_IMAGE_PIXELS,
                                              formats=JPEG_PNG_WEBP_GIF))
    except ImageRejected as exc:
        raise InvalidImage(exc.message, fields={"image": [exc.reason]}) from exc


@transaction.atomic
def product_image_add(*, product: Product, upload: UploadedFile, alt: str = "") -> ProductImage:
    checked = _image_check(upload)
    product = Product.objects.select_for_update().get(pk=product.pk)
    image = ProductImage(product=product, alt=(alt or "")[:200], width=checked.width, height=checked.height,
                         position=product.images.count())
    token = timezone.now().strftime("%Y%m%d%H%M%S%f")
    image.image.save(f"{token}.{checked.extension}", ContentFile(checked.data), save=False)
    image.save()
    outbox_write(product_id=product.pk)
    schema, image_id = getattr(connection, "schema_name", "public"), image.pk
    transaction.on_commit(lambda: _thumbnail_soon(schema, image_id))
    return image


def _thumbnail_soon(schema: str, image_id: int) -> None:
    from django_tenants.utils import schema_context

    from catalog.tasks import product_image_thumbnail_task

    with schema_context(schema):
        product_image_thumbnail_task.delay(image_id)


def product_image_thumbnail_generate(*, image_id: int) -> ProductImage | None:
    """Write a ≤400px WebP thumbnail next to the image; safe to run twice."""
    image = ProductImage.objects.filter(pk=image_id).first()
    if image is None:
        return None
    if image.thumbnail_status == ProductImage.ThumbnailStatus.READY and image.thumbnail and image.renditions:
        return image
    try:
        with image.image.open("rb") as source, Image.open(source) as picture:
            picture.load()
            renditions = _renditions_encode(picture)
            picture.thumbnail(THUMBNAIL_SIZE)
            converted = picture if picture.mode in ("RGB", "RGBA") else picture.convert("RGBA")
            out = io.BytesIO()
            converted.save(out, format="WEBP", quality=82)
    except (OSError, ValueError, UnidentifiedImageError):
        ProductImage.objects.filter(pk=image_id).update(thumbnail_status=ProductImage.ThumbnailStatus.FAILED)
        return None
    with transaction.atomic():
        image = ProductImage.objects.select_for_update().get(pk=image_id)
        image.thumbnail.save(f"thumb-{image.pk}.webp", ContentFile(out.getvalue()), save=False)
        storage = image.image.storage
        image.renditions = [
            {"width": width, "format": fmt,
             "name": storage.save(product_image_path(image, f"{image.pk}-{width}w.{fmt}"), ContentFile(data))}
            for width, fmt, data in renditions
        ]
        image.thumbnail_status = ProductImage.ThumbnailStatus.READY
        image.save(update_fields=["thumbnail", "renditions", "thumbnail_status", "updated_at"])
        outbox_write(product_id=image.product_id)
    return image


def _image_files_delete(image: ProductImage) -> None:
    names = [f.name for f in (image.image, image.thumbnail) if f and f.name]
    names += [str(rendition["name"]) for rendition in image.renditions or [] if rendition.get("name")]
    storage = image.image.storage

    def remove() -> None:
        for name in names:
            if name:
                storage.delete(name)

    transaction.on_commit(remove)


@transaction.atomic
def product_image_delete(*, image: ProductImage) -> None:
    image = ProductImage.objects.select_for_update().get(pk=image.pk)
    product_id = image.product_id
    _image_files_delete(image)
    image.delete()
    outbox_write(product_id=product_id)


@transaction.atomic
def product_image_make_main(*, image: ProductImage) -> ProductImage:
    """Show this image first (on cards, the listing and the product page); the others keep their order."""
    image = ProductImage.objects.select_for_update().get(pk=image.pk)
    others = list(ProductImage.objects.select_for_update().filter(product_id=image.product_id)
                  .exclude(pk=image.pk).order_by("position", "id"))
    for position, item in enumerate([image, *others]):
        if item.position != position:
            ProductImage.objects.filter(pk=item.pk).update(position=position)
    image.position = 0
    outbox_write(product_id=image.product_id)
    return image
