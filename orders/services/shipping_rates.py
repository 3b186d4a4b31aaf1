"""Vendors' shipping rates (demo seed)."""

from __future__ import annotations

from orders.models import ShippingRate
from vendors.models import Vendor


def shipping_rates_demo_seed(*, vendor: Vendor) -> None:
    """Demo shipping options: a flat standard rate free over 50, and express by weight (idempotent)."""
    if ShippingRate.objects.filter(vendor=vendor).exists():
        return
    currency = vendor.currency
    ShippingRate.objects.create(vendor=vendor, name="Standard", kind=ShippingRate.Kind.FLAT,
                                currency=currency, base_amount=490, free_over_amount=5000, position=0)
    ShippingRate.objects.create(vendor=vendor, name="Express", kind=ShippingRate.Kind.WEIGHT,
                                currency=currency, base_amount=990, per_kg_amount=150, position=1)
