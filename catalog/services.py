"""Catalog writes (in the current vendor's schema); every product change also writes the outbox."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import nh3
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from catalog.models import (
    CsvImport,
    OutboxEvent,
    Product,
    ProductImage,
    StockAdjustment,
    Variant,
)
from common.exceptions import ApplicationError, Conflict, NotFound
from common.money import MoneyError, parse_amount, validate_currency

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
THUMBNAIL_SIZE = (400, 400)
MAX_OPTION_TYPES = 3

ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h3", "h4", "blockquote", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}

# Which status a product may move to from each status (the whole table, walked by a test).
STATUS_TRANSITIONS: dict[str, set[str]] = {
    Product.Status.DRAFT: {Product.Status.ACTIVE, Product.Status.ARCHIVED},
    Product.Status.ACTIVE: {Product.Status.DRAFT, Product.Status.ARCHIVED},
    Product.Status.ARCHIVED: {Product.Status.ACTIVE, Product.Status.DRAFT},
}


class InvalidProduct(ApplicationError):
    code = "invalid_product"


class InvalidImage(ApplicationError):
    code = "invalid_image"


class InvalidStockAdjustment(ApplicationError):
    code = "invalid_stock_adjustment"


class InvalidTransition(Conflict):
    code = "invalid_transition"


def description_sanitize(html: str) -> str:
    """Rich descriptions keep basic formatting and links; scripts, styles and handlers are dropped."""
    return nh3.clean(
        html or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"}, link_rel="noopener nofollow ugc",
    )


def vendor_currency() -> str:
    from catalog.selectors import current_vendor_in_schema

    vendor = current_vendor_in_schema()
    return vendor.currency if vendor is not None else "EUR"


def price_validate(*, amount: Any, currency: str | None, field: str = "price_amount") -> int:
    """An integer amount in minor units, not negative, in the vendor's currency."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise InvalidProduct(
            _("Price must be a non-negative integer in minor units."), fields={field: ["invalid"]}
        )
    if amount > 10**12:
        raise InvalidProduct(_("Price is too large."), fields={field: ["too_large"]})
    return amount


def currency_validate(currency: str | None) -> str:
    expected = vendor_currency()
    if currency in (None, ""):
        return expected
    try:
        code = validate_currency(str(currency))
    except MoneyError as exc:
        raise InvalidProduct(str(exc), fields={"currency": ["invalid"]}) from exc
    if code != expected:
        raise InvalidProduct(
            _("Prices of this store are in %(currency)s.") % {"currency": expected}, fields={"currency": ["wrong_currency"]}
        )
    return code


def price_parse(text: str, *, currency: str, field: str = "price") -> int:
    """A major-unit text price ('12.50') from a form or CSV, in minor units."""
    try:
        amount = parse_amount(text, currency)
    except MoneyError as exc:
        raise InvalidProduct(str(exc), fields={field: ["invalid"]}) from exc
    if amount < 0:
        raise InvalidProduct(_("Price must not be negative."), fields={field: ["negative"]})
    return price_validate(amount=amount, currency=currency, field=field)


def _options_validate(options: Any, option_types: list[str]) -> dict[str, str]:
    if options in (None, ""):
        options = {}
    if not isinstance(options, dict):
        raise InvalidProduct(_("Options must map option types to values."), fields={"options": ["invalid"]})
    clean = {str(key).strip(): str(value).strip()[:60] for key, value in options.items()}
    unknown = set(clean) - set(option_types)
    if unknown:
        raise InvalidProduct(
            _("Unknown option types: %(names)s.") % {"names": ", ".join(sorted(unknown))}, fields={"options": ["unknown"]}
        )
    return {name: clean[name] for name in option_types if clean.get(name)}


def _option_types_validate(option_types: Any) -> list[str]:
    if not option_types:
        return []
    if not isinstance(option_types, list) or len(option_types) > MAX_OPTION_TYPES:
        raise InvalidProduct(
            _("At most %(n)s option types.") % {"n": MAX_OPTION_TYPES}, fields={"option_types": ["invalid"]}
        )
    names = [str(name).strip().lower()[:30] for name in option_types if str(name).strip()]
    if len(set(names)) != len(names):
        raise InvalidProduct(_("Option types must be distinct."), fields={"option_types": ["duplicate"]})
    return names


def _attributes_validate(attributes: Any) -> dict[str, str]:
    if not attributes:
        return {}
    if not isinstance(attributes, dict) or len(attributes) > 20:
        raise InvalidProduct(_("Attributes must be at most 20 name/value pairs."),
                             fields={"attributes": ["invalid"]})
    return {str(k).strip().lower()[:30]: str(v).strip()[:60] for k, v in attributes.items() if str(k).strip()}


def _category_validate(category_id: Any) -> int | None:
    if category_id in (None, ""):
        return None
    from marketplace.models import Category

    try:
        category_id = int(category_id)
    except (TypeError, ValueError) as exc:
        raise InvalidProduct(_("Unknown category."), fields={"category_id": ["invalid"]}) from exc
    if not Category.objects.filter(pk=category_id).exists():
        raise InvalidProduct(_("Unknown category."), fields={"category_id": ["unknown"]})
    return category_id


def _handle_for(name: str, handle: str | None) -> str:
    base = slugify(handle or name)[:100] or "product"
    if handle:
        return base
    candidate, n = base, 1
    while Product.objects.filter(handle=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _user_fields(user: Any) -> dict[str, Any]:
    if user is None or not getattr(user, "is_authenticated", False):
        return {"user_id": None, "user_email": ""}
    return {"user_id": user.pk, "user_email": user.email}


# --- outbox ----------------------------------------------------------------------------------


def outbox_write(*, product_id: int, deleted: bool = False) -> OutboxEvent:
    """Bump the product's version and record its snapshot, in the caller's transaction."""
    from catalog.selectors import product_snapshot

    if deleted:
        event = OutboxEvent.objects.create(
            event_type=OutboxEvent.Type.PRODUCT_DELETED, product_id=product_id,
            version=_deleted_version(product_id), payload={"product_id": product_id},
        )
    else:
        Product.objects.filter(pk=product_id).update(version=F("version") + 1)
        product = Product.objects.prefetch_related("variants", "images").get(pk=product_id)
        event = OutboxEvent.objects.create(
            event_type=OutboxEvent.Type.PRODUCT_CHANGED, product_id=product_id,
            version=product.version, payload=product_snapshot(product),
        )
    _relay_on_commit()
    return event


def outbox_write_many(*, product_ids: list[int]) -> int:
    """`outbox_write` for many products at once (CSV import), in the caller's transaction."""
    from catalog.selectors import product_snapshot

    if not product_ids:
        return 0
    Product.objects.filter(pk__in=product_ids).update(version=F("version") + 1)
    products = Product.objects.filter(pk__in=product_ids).prefetch_related("variants", "images")
    OutboxEvent.objects.bulk_create([
        OutboxEvent(event_type=OutboxEvent.Type.PRODUCT_CHANGED, product_id=product.pk,
                    version=product.version, payload=product_snapshot(product))
        for product in products
    ], batch_size=500)
    _relay_on_commit()
    return len(product_ids)


def variants_changed_publish(*, variant_ids: list[int]) -> int:
    """For code that changes variants outside these services (checkout stock reservations, returns):
    publish their products' new state. Call it in the same transaction as the change."""
    product_ids = sorted(set(Variant.objects.filter(pk__in=variant_ids).values_list("product_id", flat=True)))
    return outbox_write_many(product_ids=product_ids)


def _deleted_version(product_id: int) -> int:
    product = Product.objects.filter(pk=product_id).values_list("version", flat=True).first()
    last = OutboxEvent.objects.filter(product_id=product_id).order_by("-version").values_list(
        "version", flat=True).first()
    return max(product or 0, last or 0) + 1


def _relay_soon(schema: str) -> None:
    from django_tenants.utils import schema_context

    from catalog.tasks import outbox_relay

    with schema_context(schema):
        outbox_relay.delay()


class _RelayOnCommit:
    """The on-commit hook queueing one schema's relay (recognisable in `connection.run_on_commit`)."""

    def __init__(self, schema: str) -> None:
        self.schema = schema

    def __call__(self) -> None:
        _relay_soon(self.schema)


def _relay_on_commit() -> None:
    """Queue this schema's relay when the caller's transaction commits: once per transaction.

    A bulk change writes one event per product and one relay drains them all, so a hook already
    waiting for this commit is enough. A hook dropped with a rolled-back savepoint is no longer in
    `run_on_commit`, so the next event registers a new one.
    """
    schema = getattr(connection, "schema_name", "public")
    # django-stubs still types run_on_commit entries as (sids, func); Django 4.2+ appends (sids, func, robust).
    if any(isinstance(hook, _RelayOnCommit) and hook.schema == schema for _, hook, _ in connection.run_on_commit):  # type: ignore[misc]
        return
    transaction.on_commit(_RelayOnCommit(schema))


RELAY_BATCH_SIZE = 500


@transaction.atomic
def outbox_publish_pending(*, limit: int = RELAY_BATCH_SIZE) -> int:
    """Apply unpublished events of this schema to the public projection, oldest first.

    The events are locked (`SKIP LOCKED`: concurrent relays take different events), applied with
    `listings_apply_batch` (a set-based upsert guarded by version) and marked published, all in
    this one transaction: a relay that dies mid-batch leaves every event of it pending.
    """
    from catalog.selectors import current_vendor_in_schema
    from marketplace.services import listings_apply_batch

    vendor = current_vendor_in_schema()
    if vendor is None:
        return 0
    events = list(
        OutboxEvent.objects.select_for_update(skip_locked=True)
        .filter(published_at__isnull=True).order_by("id")
        .values_list("pk", "event_type", "product_id", "version", "payload")[:limit]
    )
    if not events:
        return 0
    listings_apply_batch(vendor=vendor, events=[
        {"product_id": product_id, "version": version, "payload": payload,
         "deleted": event_type == OutboxEvent.Type.PRODUCT_DELETED}
        for _, event_type, product_id, version, payload in events
    ])
    OutboxEvent.objects.filter(pk__in=[pk for pk, *_ in events]).update(
        published_at=timezone.now(), attempts=F("attempts") + 1
    )
    return len(events)


# --- products and variants -------------------------------------------------------------------


@transaction.atomic
def product_create(
    *, name: str, handle: str | None = None, description: str = "",
    status: str = Product.Status.DRAFT, category_id: int | None = None,
    option_types: list[str] | None = None, attributes: dict[str, str] | None = None,
    variants: Iterable[dict[str, Any]] = (), user: Any = None,
) -> Product:
    name = (name or "").strip()
    if not name:
        raise InvalidProduct(_("A product needs a name."), fields={"name": ["required"]})
    if status not in Product.Status.values:
        raise InvalidProduct(_("Unknown status."), fields={"status": ["invalid"]})
    handle = _handle_for(name, handle)
    if Product.objects.filter(handle=handle).exists():
        raise Conflict(_("Handle %(handle)s already exists.") % {"handle": handle}, code="duplicate_handle",
                       fields={"handle": ["duplicate"]})
    product = Product.objects.create(
        name=name[:200], handle=handle, description=description_sanitize(description),
        status=status, category_id=_category_validate(category_id),
        option_types=_option_types_validate(option_types or []),
        attributes=_attributes_validate(attributes or {}),
    )
    for position, spec in enumerate(variants):
        _variant_insert(product=product, position=position, user=user, **spec)
    outbox_write(product_id=product.pk)
    product.refresh_from_db()
    return product


@transaction.atomic
def product_update(*, product: Product, user: Any = None, **changes: Any) -> Product:
    product = Product.objects.select_for_update().get(pk=product.pk)
    allowed = {"name", "description", "category_id", "option_types", "attributes", "status", "handle"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidProduct(f"Cannot change {', '.join(sorted(unknown))} here.",
                             fields={name: ["read_only"] for name in unknown})
    if "status" in changes and changes["status"] != product.status:
        _transition_check(product, changes["status"])
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()[:200]
        if not changes["name"]:
            raise InvalidProduct(_("A product needs a name."), fields={"name": ["required"]})
    if "description" in changes:
        changes["description"] = description_sanitize(changes["description"])
    if "category_id" in changes:
        changes["category_id"] = _category_validate(changes["category_id"])
    if "option_types" in changes:
        changes["option_types"] = _option_types_validate(changes["option_types"])
    if "attributes" in changes:
        changes["attributes"] = _attributes_validate(changes["attributes"])
    if "handle" in changes:
        changes["handle"] = slugify(changes["handle"] or "")[:100]
        if not changes["handle"] or Product.objects.filter(handle=changes["handle"]).exclude(pk=product.pk).exists():
            raise Conflict(_("This handle is taken."), code="duplicate_handle", fields={"handle": ["duplicate"]})
    for field, value in changes.items():
        setattr(product, field, value)
    if changes:
        product.save(update_fields=[*changes.keys(), "updated_at"])
        outbox_write(product_id=product.pk)
    product.refresh_from_db()
    return product


def _transition_check(product: Product, status: str) -> None:
    if status not in Product.Status.values:
        raise InvalidProduct(_("Unknown status."), fields={"status": ["invalid"]})
    if status not in STATUS_TRANSITIONS[product.status]:
        raise InvalidTransition(f"A {product.status} product cannot become {status}.")
    if status == Product.Status.ACTIVE and not product.variants.exists():
        raise InvalidTransition(_("A product needs at least one variant to be active."),
                                code="no_variants")


@transaction.atomic
def product_status_set(*, product_ids: Iterable[int], status: str) -> int:
    """Bulk activate/archive/draft; products that cannot move are left as they are."""
    changed = 0
    for product in Product.objects.select_for_update().filter(pk__in=list(product_ids)).order_by("pk"):
        if product.status == status:
            continue
        try:
            with transaction.atomic():
                _transition_check(product, status)
                product.status = status
                product.save(update_fields=["status", "updated_at"])
                outbox_write(product_id=product.pk)
        except ApplicationError:
            continue
        changed += 1
    return changed


@transaction.atomic
def product_prices_change(*, product_ids: Iterable[int], percent: int) -> int:
    """Bulk price change by a whole percentage (-90..+500), rounded half up per variant."""
    if isinstance(percent, bool) or not isinstance(percent, int) or not -90 <= percent <= 500:
        raise InvalidProduct(_("Percentage must be a whole number from -90 to 500."),
                             fields={"percent": ["invalid"]})
    from common.money import percentage_of

    products = list(Product.objects.select_for_update().filter(pk__in=list(product_ids)).order_by("pk"))
    for variant in Variant.objects.select_for_update().filter(product__in=products):
        variant.price_amount += percentage_of(variant.price_amount, percent * 100)
        variant.save(update_fields=["price_amount", "updated_at"])
    for product in products:
        outbox_write(product_id=product.pk)
    return len(products)


@transaction.atomic
def product_delete(*, product: Product) -> None:
    product = Product.objects.select_for_update().get(pk=product.pk)
    outbox_write(product_id=product.pk, deleted=True)
    for image in product.images.all():
        _image_files_delete(image)
    product.delete()


def _variant_insert(
    *, product: Product, sku: str, price_amount: Any, currency: str | None = None,
    compare_at_amount: Any = None, weight_grams: Any = 0, stock: Any = 0,
    options: Any = None, position: int = 0, low_stock_threshold: Any = 5, user: Any = None,
) -> Variant:
    sku = (sku or "").strip()
    if not sku or len(sku) > 64:
        raise InvalidProduct(_("SKU is required (at most 64 characters)."), fields={"sku": ["invalid"]})
    currency = currency_validate(currency)
    price_validate(amount=price_amount, currency=currency)
    if compare_at_amount not in (None, ""):
        price_validate(amount=compare_at_amount, currency=currency, field="compare_at_amount")
    else:
        compare_at_amount = None
    for field, value in (("weight_grams", weight_grams), ("stock", stock),
                         ("low_stock_threshold", low_stock_threshold)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**9:
            raise InvalidProduct(f"{field} must be a non-negative whole number.", fields={field: ["invalid"]})
    if Variant.objects.filter(sku=sku).exists():
        raise Conflict(_("SKU %(sku)s already exists.") % {"sku": sku}, code="duplicate_sku", fields={"sku": ["duplicate"]})
    try:
        with transaction.atomic():
            variant = Variant.objects.create(
                product=product, sku=sku, price_amount=price_amount, currency=currency,
                compare_at_amount=compare_at_amount, weight_grams=weight_grams, stock=stock,
                options=_options_validate(options, product.option_types), position=position,
                low_stock_threshold=low_stock_threshold,
            )
    except IntegrityError as exc:
        raise Conflict(_("SKU %(sku)s already exists.") % {"sku": sku}, code="duplicate_sku", fields={"sku": ["duplicate"]}) from exc
    if stock:
        StockAdjustment.objects.create(
            variant=variant, delta=stock, stock_after=stock, reason=StockAdjustment.Reason.INITIAL,
            **_user_fields(user),
        )
    return variant


@transaction.atomic
def variant_create(*, product: Product, user: Any = None, **spec: Any) -> Variant:
    product = Product.objects.select_for_update().get(pk=product.pk)
    spec.setdefault("position", product.variants.count())
    variant = _variant_insert(product=product, user=user, **spec)
    outbox_write(product_id=product.pk)
    return variant


@transaction.atomic
def variant_update(*, variant: Variant, **changes: Any) -> Variant:
    variant = Variant.objects.select_for_update().select_related("product").get(pk=variant.pk)
    allowed = {"price_amount", "compare_at_amount", "weight_grams", "options", "sku", "currency",
               "low_stock_threshold", "position"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidProduct(f"Cannot change {', '.join(sorted(unknown))} here (use a stock adjustment).",
                             fields={name: ["read_only"] for name in unknown})
    if "currency" in changes:
        changes["currency"] = currency_validate(changes["currency"])
    if "price_amount" in changes:
        price_validate(amount=changes["price_amount"], currency=variant.currency)
    if changes.get("compare_at_amount") is not None:
        price_validate(amount=changes["compare_at_amount"], currency=variant.currency, field="compare_at_amount")
    for field in ("weight_grams", "low_stock_threshold", "position"):
        if field in changes:
            value = changes[field]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidProduct(f"{field} must be a non-negative whole number.", fields={field: ["invalid"]})
    if "options" in changes:
        changes["options"] = _options_validate(changes["options"], variant.product.option_types)
    if "sku" in changes:
        changes["sku"] = (changes["sku"] or "").strip()
        if not changes["sku"] or Variant.objects.filter(sku=changes["sku"]).exclude(pk=variant.pk).exists():
            raise Conflict(_("SKU %(sku)s already exists.") % {"sku": changes["sku"]}, code="duplicate_sku", fields={"sku": ["duplicate"]})
    for field, value in changes.items():
        setattr(variant, field, value)
    if changes:
        variant.save(update_fields=[*changes.keys(), "updated_at"])
        outbox_write(product_id=variant.product_id)
    return variant


@transaction.atomic
def variant_delete(*, variant: Variant) -> bool:
    """Delete a variant; an active product left without any becomes a draft (returns True then)."""
    variant = Variant.objects.select_for_update().get(pk=variant.pk)
    product_id = variant.product_id
    variant.delete()
    product = Product.objects.select_for_update().get(pk=product_id)
    drafted = product.status == Product.Status.ACTIVE and not product.variants.exists()
    if drafted:
        product.status = Product.Status.DRAFT
        product.save(update_fields=["status", "updated_at"])
    outbox_write(product_id=product_id)
    return drafted


@transaction.atomic
def stock_adjust(*, variant: Variant, delta: int, reason: str, note: str = "", user: Any = None) -> StockAdjustment:
    """Change stock by `delta` (never below zero) and record why and who."""
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0 or abs(delta) > 10**9:
        raise InvalidStockAdjustment(_("The change must be a non-zero whole number."), fields={"delta": ["invalid"]})
    if reason not in StockAdjustment.Reason.values:
        raise InvalidStockAdjustment(_("Unknown reason."), fields={"reason": ["invalid"]})
    variant = Variant.objects.select_for_update().get(pk=variant.pk)
    if variant.stock + delta < 0:
        raise InvalidStockAdjustment(
            _("Stock is %(stock)s; it cannot go below zero.") % {"stock": variant.stock}, fields={"delta": ["below_zero"]}
        )
    variant.stock += delta
    variant.save(update_fields=["stock", "updated_at"])
    adjustment = StockAdjustment.objects.create(
        variant=variant, delta=delta, stock_after=variant.stock, reason=reason, note=(note or "")[:200],
        **_user_fields(user),
    )
    outbox_write(product_id=variant.product_id)
    return adjustment


# --- images ----------------------------------------------------------------------------------


def _image_check(upload: UploadedFile) -> tuple[str, int, int]:
    if upload.size is None or upload.size > MAX_IMAGE_BYTES:
        raise InvalidImage(f"Images are at most {MAX_IMAGE_BYTES // (1024 * 1024)} MB.",
                           fields={"image": ["too_big"]})
    data = upload.read()
    upload.seek(0)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format or ""
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidImage(_("This file is not an image we can read."), fields={"image": ["not_an_image"]}) from exc
    if fmt not in ALLOWED_IMAGE_FORMATS:
        raise InvalidImage(_("Images must be JPEG, PNG, WebP or GIF."), fields={"image": ["format"]})
    if width * height > MAX_IMAGE_PIXELS:
        raise InvalidImage(_("The image has too many pixels."), fields={"image": ["too_big"]})
    return fmt, width, height


@transaction.atomic
def product_image_add(*, product: Product, upload: UploadedFile, alt: str = "") -> ProductImage:
    fmt, width, height = _image_check(upload)
    product = Product.objects.select_for_update().get(pk=product.pk)
    extension = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}[fmt]
    image = ProductImage(product=product, alt=(alt or "")[:200], width=width, height=height,
                         position=product.images.count())
    token = timezone.now().strftime("%Y%m%d%H%M%S%f")
    image.image.save(f"{token}.{extension}", ContentFile(upload.read()), save=False)
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
    if image.thumbnail_status == ProductImage.ThumbnailStatus.READY and image.thumbnail:
        return image
    try:
        with image.image.open("rb") as source, Image.open(source) as picture:
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
        image.thumbnail_status = ProductImage.ThumbnailStatus.READY
        image.save(update_fields=["thumbnail", "thumbnail_status", "updated_at"])
        outbox_write(product_id=image.product_id)
    return image


def _image_files_delete(image: ProductImage) -> None:
    names = [f.name for f in (image.image, image.thumbnail) if f and f.name]
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


# --- imports ---------------------------------------------------------------------


def csv_import_start(*, upload: UploadedFile, user: Any = None) -> CsvImport:
    from catalog.csv_io import MAX_CSV_BYTES

    if upload.size is None or upload.size > MAX_CSV_BYTES:
        raise ApplicationError(_("CSV files are at most 20 MB."), code="invalid_csv", fields={"file": ["too_big"]})
    with transaction.atomic():
        job = CsvImport(original_name=(upload.name or "")[:255], user_id=getattr(user, "pk", None),
                        language=translation.get_language() or "")
        job.file.save("import.csv", upload, save=False)
        job.save()
        schema, job_id = getattr(connection, "schema_name", "public"), job.pk

        def enqueue() -> None:
            from django_tenants.utils import schema_context

            from catalog.tasks import csv_import_task

            with schema_context(schema):
                csv_import_task.delay(job_id)

        transaction.on_commit(enqueue)
    return job


def product_get(*, product_id: Any) -> Product:
    try:
        return Product.objects.get(pk=int(product_id))
    except (Product.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound(_("Product not found.")) from exc
