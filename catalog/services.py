"""Catalog writes (in the current vendor's schema)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from catalog.models import Product
from common.exceptions import ApplicationError, Conflict
from common.money import MoneyError, validate_currency


class InvalidProduct(ApplicationError):
    code = "invalid_product"


def _validate(*, price_amount: int, currency: str) -> str:
    if isinstance(price_amount, bool) or not isinstance(price_amount, int) or price_amount < 0:
        raise InvalidProduct("Price must be a non-negative integer in minor units.",
                             fields={"price_amount": ["invalid"]})
    try:
        return validate_currency(currency)
    except MoneyError as exc:
        raise InvalidProduct(str(exc), fields={"currency": ["invalid"]}) from exc


@transaction.atomic
def product_create(
    *, name: str, sku: str, price_amount: int, currency: str, stock: int = 0,
    description: str = "", status: str = Product.Status.DRAFT,
) -> Product:
    currency = _validate(price_amount=price_amount, currency=currency)
    if Product.objects.filter(sku=sku).exists():
        raise Conflict(f"SKU {sku} already exists.", code="duplicate_sku", fields={"sku": ["duplicate"]})
    try:
        with transaction.atomic():
            return Product.objects.create(
                name=name, sku=sku, price_amount=price_amount, currency=currency, stock=stock,
                description=description, status=status,
            )
    except IntegrityError as exc:
        raise Conflict(f"SKU {sku} already exists.", code="duplicate_sku") from exc


@transaction.atomic
def product_update(*, product: Product, **changes: Any) -> Product:
    product = Product.objects.select_for_update().get(pk=product.pk)
    if "price_amount" in changes or "currency" in changes:
        changes["currency"] = _validate(
            price_amount=changes.get("price_amount", product.price_amount),
            currency=changes.get("currency", product.currency),
        )
    for field, value in changes.items():
        setattr(product, field, value)
    product.save(update_fields=[*changes.keys(), "updated_at"])
    return product
