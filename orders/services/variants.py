"""What the cart and checkout read of a vendor's catalog: variants' price, stock and status in its schema."""

from __future__ import annotations

import datetime as dt
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
    # `stock` above is what may be ordered (backorders and pre-orders included); `on_hand` the
    # units there now, and `available_on` when the rest ships.
    on_hand: int = 0
    inventory_policy: str = "deny"
    available_on: dt.date | None = None

    def ships_from(self, quantity: int) -> dt.date | None:
        """The date an order of `quantity` ships from, when part of it is sold beyond stock."""
        if self.inventory_policy == "deny" or quantity <= max(self.on_hand, 0):
            return None
        return self.available_on

    def beyond_stock(self, quantity: int) -> bool:
        """Whether part of `quantity` would be sold on backorder or as a pre-order."""
        return self.inventory_policy != "deny" and quantity > max(self.on_hand, 0)


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
                price=variant.price_amount, currency=variant.currency, stock=variant.sellable,
                weight_grams=variant.weight_grams,
                active=product.status == Product.Status.ACTIVE,
                tax_category=str((product.attributes or {}).get("tax_category") or "standard"),
                category_id=product.category_id, on_hand=variant.stock,
                inventory_policy=variant.inventory_policy, available_on=variant.available_on,
            )
        return states
