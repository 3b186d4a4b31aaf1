"""Factories for the orders work: sellable variants in a vendor schema, shipping rates, carts."""

from __future__ import annotations

import itertools
from typing import Any

from django_tenants.utils import schema_context

from orders.models import ShippingRate
from vendors.models import Vendor

_seq = itertools.count(1)


def sellable_variant(
    vendor: Vendor, *, price: int = 1000, stock: int = 10, currency: str = "EUR",
    weight_grams: int = 500, name: str | None = None, tax_category: str | None = None,
    status: str = "active",
) -> Any:
    """An active product with one variant, created in the vendor's schema (returns the variant)."""
    from catalog.models import Product, Variant

    n = next(_seq)
    with schema_context(vendor.store.schema_name):
        product = Product.objects.create(
            name=name or f"Product {n}", handle=f"product-{n}-{vendor.slug}", status=status,
            attributes={"tax_category": tax_category} if tax_category else {},
        )
        return Variant.objects.create(
            product=product, sku=f"SKU-{vendor.slug}-{n}", price_amount=price, currency=currency,
            stock=stock, weight_grams=weight_grams,
        )


def variant_stock(vendor: Vendor, variant_id: int) -> int:
    from catalog.models import Variant

    with schema_context(vendor.store.schema_name):
        return Variant.objects.values_list("stock", flat=True).get(pk=variant_id)


def variant_update(vendor: Vendor, variant_id: int, **changes: Any) -> None:
    from catalog.models import Variant

    with schema_context(vendor.store.schema_name):
        Variant.objects.filter(pk=variant_id).update(**changes)


def shipping_rate(vendor: Vendor, **fields: Any) -> ShippingRate:
    defaults: dict[str, Any] = {"name": "Standard", "kind": "flat", "currency": "EUR", "base_amount": 500}
    defaults.update(fields)
    return ShippingRate.objects.create(vendor=vendor, **defaults)
