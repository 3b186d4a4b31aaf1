"""Delivery estimates shown to buyers: business days to dispatch plus transit by distance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# Vendors dispatch within this many business days of payment (the fulfilment promise).
DISPATCH_BUSINESS_DAYS = (1, 2)
# Transit in business days by how far the parcel travels. Europe here is the single market plus
# its close neighbours (EEA, CH, GB): road networks and carriers that cross borders daily.
TRANSIT_BUSINESS_DAYS = {"domestic": (1, 3), "europe": (2, 5), "world": (5, 12)}
EUROPE = frozenset({
    "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR", "HR", "HU",
    "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
})


@dataclass(frozen=True)
class DeliveryWindow:
    earliest: date
    latest: date
    distance: str  # domestic | europe | world


def add_business_days(start: date, days: int) -> date:
    """`days` working days (Monday to Friday) after `start`."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def distance(*, from_country: str, to_country: str) -> str:
    if from_country.upper() == to_country.upper():
        return "domestic"
    if from_country.upper() in EUROPE and to_country.upper() in EUROPE:
        return "europe"
    return "world"


def delivery_window(*, paid_on: date, from_country: str, to_country: str,
                    promised: tuple[int | None, int | None] = (None, None)) -> DeliveryWindow:
    """When a parcel paid for on `paid_on` should arrive: the business days the vendor's shipping
    method promised at checkout (`promised`), else dispatch plus transit by distance."""
    reach = distance(from_country=from_country, to_country=to_country)
    if promised[0] is not None and promised[1] is not None:
        return DeliveryWindow(earliest=add_business_days(paid_on, promised[0]),
                              latest=add_business_days(paid_on, promised[1]), distance=reach)
    low, high = TRANSIT_BUSINESS_DAYS[reach]
    return DeliveryWindow(
        earliest=add_business_days(paid_on, DISPATCH_BUSINESS_DAYS[0] + low),
        latest=add_business_days(paid_on, DISPATCH_BUSINESS_DAYS[1] + high),
        distance=reach,
    )
