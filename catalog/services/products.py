"""Products: create, update, status moves (one table), bulk price changes, delete."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from catalog.errors import InvalidProduct, InvalidTransition
from catalog.models import (
    Product,
    Variant,
)
from catalog.services.images import _image_files_delete
from catalog.services.outbox import outbox_write
from catalog.services.validation import (
    _attributes_validate,
    _category_validate,
    _handle_for,
    _option_types_validate,
    description_sanitize,
)
from catalog.services.variants import _variant_insert
from common.exceptions import ApplicationError, Conflict, NotFound

# Which status a product may move to from each status (the whole table, walked by a test).
STATUS_TRANSITIONS: dict[str, set[str]] = {
    Product.Status.DRAFT: {Product.Status.ACTIVE, Product.Status.ARCHIVED},
    Product.Status.ACTIVE: {Product.Status.DRAFT, Product.Status.ARCHIVED},
    Product.Status.ARCHIVED: {Product.Status.ACTIVE, Product.Status.DRAFT},
}


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


def _customs_validate(customs: dict[str, Any]) -> dict[str, str]:
    """HS code: 6 to 10 digits (dots and spaces dropped); origin: two letters. Blank clears."""
    errors: dict[str, list[str]] = {}
    if "hs_code" in customs:
        customs["hs_code"] = "".join(ch for ch in str(customs["hs_code"] or "") if ch not in ". ")
        if customs["hs_code"] and not (customs["hs_code"].isdigit() and 6 <= len(customs["hs_code"]) <= 10):
            errors["hs_code"] = [_("An HS code has 6 to 10 digits.")]
    if "origin_country" in customs:
        customs["origin_country"] = str(customs["origin_country"] or "").strip().upper()
        if customs["origin_country"] and not (len(customs["origin_country"]) == 2
                                              and customs["origin_country"].isalpha()):
            errors["origin_country"] = [_("Give the country of origin as two letters (ISO 3166-1).")]
    if errors:
        raise InvalidProduct(_("Please correct the customs data."), fields=errors)
    return customs


@transaction.atomic
def product_update(*, product: Product, user: Any = None, **changes: Any) -> Product:
    product = Product.objects.select_for_update().get(pk=product.pk)
    allowed = {"name", "description", "category_id", "option_types", "attributes", "status", "handle", "hs_code",
               "origin_country"}
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
    changes.update(_customs_validate({k: changes[k] for k in ("hs_code", "origin_country") if k in changes}))
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


def product_get(*, product_id: Any) -> Product:
    try:
        return Product.objects.get(pk=int(product_id))
    except (Product.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound(_("Product not found.")) from exc
