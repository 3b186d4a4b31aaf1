"""Shipping options of a vendor for a destination and a cart: flat or by weight, free over a threshold."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from orders.models import ShippingRate

# Used for a vendor that has defined no rate yet, so its products stay buyable; clearly a default.
FALLBACK_RATE_NAME = "Standard shipping"
FALLBACK_RATE_AMOUNT = 490
FALLBACK_FREE_OVER = 5000


@dataclass(frozen=True)
class ShippingOption:
    rate_id: int | None
    name: str
    amount: int


def shipping_amount(*, kind: str, base_amount: int, per_kg_amount: int, free_over_amount: int | None,
                    subtotal: int, weight_grams: int) -> int:
    if free_over_amount is not None and subtotal >= free_over_amount:
        return 0
    if kind == ShippingRate.Kind.WEIGHT:
        started_kg = -(-weight_grams // 1000)
        return base_amount + per_kg_amount * started_kg
    return base_amount


def shipping_options(*, rates: list[ShippingRate], currency: str, country: str, subtotal: int,
                     weight_grams: int) -> list[ShippingOption]:
    """The options of one vendor (its rates already loaded), cheapest first."""
    options = [
        ShippingOption(
            rate.pk, rate.name,
            shipping_amount(kind=rate.kind, base_amount=rate.base_amount,
                            per_kg_amount=rate.per_kg_amount, free_over_amount=rate.free_over_amount,
                            subtotal=subtotal, weight_grams=weight_grams),
        )
        for rate in rates
        if rate.is_active and rate.currency == currency
        and (not rate.countries or not country or country in rate.countries)
    ]
    if not rates:
        options = [ShippingOption(None, _(FALLBACK_RATE_NAME), shipping_amount(
            kind=ShippingRate.Kind.FLAT, base_amount=FALLBACK_RATE_AMOUNT, per_kg_amount=0,
            free_over_amount=FALLBACK_FREE_OVER, subtotal=subtotal, weight_grams=weight_grams,
        ))]
    return sorted(options, key=lambda option: (option.amount, option.rate_id or 0))
