"""A product's variants: create, update, delete."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from catalog.errors import InvalidProduct
from catalog.models import (
    Product,
    Variant,
)
from catalog.services.outbox import outbox_write
from catalog.services.stock import stock_set_initial
from catalog.services.validation import (
    _options_validate,
    currency_validate,
    price_validate,
)
from common.exceptions import Conflict


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
            # With no stock: the stock module sets the first stock together with its history.
            variant = Variant.objects.create(
                product=product, sku=sku, price_amount=price_amount, currency=currency,
                compare_at_amount=compare_at_amount, weight_grams=weight_grams,
                options=_options_validate(options, product.option_types), position=position,
                low_stock_threshold=low_stock_threshold,
            )
    except IntegrityError as exc:
        raise Conflict(_("SKU %(sku)s already exists.") % {"sku": sku}, code="duplicate_sku", fields={"sku": ["duplicate"]}) from exc
    stock_set_initial(variant=variant, stock=stock, user=user)
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
