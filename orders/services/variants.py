"""What the cart and checkout read of a vendor's catalog: variants' price, stock and status in its schema."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from orders.errors import VendorNotSelling
from vendors.models import Vendor


@dataclass(frozen=True)
class VariantState:
    vendor_id: int
    product_id: int
    variant_id: int
    sku: str
    name: str
    price: int
    currency: str
    stock: int
    weight_grams: int
    active: bool
    tax_category: str
    category_id: int | None


def schema_of(vendor: Vendor) -> str:
    if vendor.store is None:
        raise VendorNotSelling(_("%(vendor)s is not selling at the moment.") % {"vendor": vendor.name})
    return str(vendor.store.schema_name)


def variant_states(*, vendor: Vendor, variant_ids: list[int]) -> dict[int, VariantState]:
    """Current price, stock and status of variants, read in the vendor's schema."""
    from catalog.models import Product, Variant

    with schema_context(schema_of(vendor)):
        variants = Variant.objects.select_related("product").filter(pk__in=variant_ids)
        states = {}
        for variant in variants:
            product = variant.product
            label = variant.options_label
            states[variant.pk] = VariantState(
                vendor_id=vendor.pk, product_id=product.pk, variant_id=variant.pk, sku=variant.sku,
                name=f"{product.name} ({label})" if label else product.name,
                price=variant.price_amount, currency=variant.currency, stock=variant.stock,
                weight_grams=variant.weight_grams,
                active=product.status == Product.Status.ACTIVE,
                tax_category=str((product.attributes or {}).get("tax_category") or "standard"),
                category_id=product.category_id,
            )
        return states
