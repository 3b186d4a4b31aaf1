"""Shipping options of a vendor for a destination and a cart, from the vendor's own shipping table.

Pure functions over plain data (no database): the vendor's zones, methods and rate bands arrive
through orders/shipping_port.py, read in the vendor's schema by the fulfilment app. A destination
outside every zone, or a vendor with no table at all, has no option: checkout refuses it with a
message naming the vendor (docs/adr/0081); there is no default rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from orders.delivery import add_business_days


class RateKind:
    FLAT = "flat"
    WEIGHT = "weight"  # bands of the parcel's weight in grams
    VALUE = "value"  # bands of the vendor's subtotal in minor units


@dataclass(frozen=True)
class RateBand:
    """From `lower` (inclusive) up to `upper` (exclusive; None: no upper end), this `amount`."""

    lower: int
    upper: int | None
    amount: int

    def holds(self, value: int) -> bool:
        return value >= self.lower and (self.upper is None or value < self.upper)


@dataclass(frozen=True)
class MethodTable:
    method_id: int
    name: str
    kind: str  # standard | express | pickup
    rate_kind: str
    flat_amount: int = 0
    bands: tuple[RateBand, ...] = ()
    free_over_amount: int | None = None
    handling_days: int = 1
    transit_days_min: int = 1
    transit_days_max: int = 3
    position: int = 0


@dataclass(frozen=True)
class ZoneTable:
    zone_id: int
    name: str
    countries: frozenset[str] = frozenset()
    # ISO 3166-2 codes ("US-CA"): when a zone lists regions of a country, only those are in it.
    regions: frozenset[str] = frozenset()
    rest_of_world: bool = False
    methods: tuple[MethodTable, ...] = ()


@dataclass(frozen=True)
class VendorShipping:
    """A vendor's whole shipping table, in the vendor's currency."""

    currency: str
    zones: tuple[ZoneTable, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ShippingOption:
    rate_id: int | None
    name: str
    amount: int
    kind: str = "standard"
    # Business days from the order to the parcel's arrival (handling + transit), and those days as dates.
    days_min: int = 0
    days_max: int = 0
    earliest: date | None = None
    latest: date | None = None


def zone_for(*, shipping: VendorShipping, country: str, region: str = "") -> ZoneTable | None:
    """The one zone serving a destination: a zone naming its region first, then one naming its
    country as a whole, then the vendor's rest-of-the-world zone; None when none serves it."""
    country = country.upper()
    region_code = _region_code(country, region)
    by_region = [z for z in shipping.zones if region_code and region_code in z.regions]
    whole_country = [z for z in shipping.zones if country in z.countries
                     and not any(r.startswith(f"{country}-") for r in z.regions)]
    rest = [z for z in shipping.zones if z.rest_of_world]
    for found in (by_region, whole_country, rest):
        if found:
            return min(found, key=lambda z: z.zone_id)
    return None


def _region_code(country: str, region: str) -> str:
    region = region.strip().upper()
    if not region:
        return ""
    return region if region.startswith(f"{country}-") else f"{country}-{region}"


def method_amount(*, method: MethodTable, subtotal: int, weight_grams: int) -> int | None:
    """What the method costs for this parcel; None when no band of it covers the parcel."""
    if method.free_over_amount is not None and subtotal >= method.free_over_amount:
        return 0
    if method.rate_kind == RateKind.FLAT:
        return method.flat_amount
    measure = weight_grams if method.rate_kind == RateKind.WEIGHT else subtotal
    band = next((b for b in method.bands if b.holds(measure)), None)
    return band.amount if band is not None else None


def shipping_options(*, shipping: VendorShipping | None, currency: str, country: str, region: str = "",
                     subtotal: int, weight_grams: int, today: date) -> list[ShippingOption]:
    """The options of one vendor for one destination, cheapest first (ties by position, then id)."""
    if shipping is None or shipping.currency != currency:
        return []
    zone = zone_for(shipping=shipping, country=country, region=region)
    if zone is None:
        return []
    options: list[tuple[int, ShippingOption]] = []
    for method in zone.methods:
        amount = method_amount(method=method, subtotal=subtotal, weight_grams=weight_grams)
        if amount is None:
            continue
        days_min = method.handling_days + method.transit_days_min
        days_max = method.handling_days + method.transit_days_max
        options.append((method.position, ShippingOption(
            method.method_id, method.name, amount, method.kind, days_min, days_max,
            add_business_days(today, days_min), add_business_days(today, days_max),
        )))
    options.sort(key=lambda pair: (pair[1].amount, pair[0], pair[1].rate_id or 0))
    return [option for _position, option in options]
