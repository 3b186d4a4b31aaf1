"""Shipping addresses: required fields and postal-code patterns per country."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from django.utils.translation import gettext as _
from django_countries import countries

from orders.errors import InvalidAddress

POSTAL_CODE_PATTERNS: dict[str, tuple[str, str]] = {
    "DE": (r"\d{5}", "12345"),
    "FR": (r"\d{5}", "75001"),
    "IT": (r"\d{5}", "00100"),
    "ES": (r"\d{5}", "28001"),
    "AT": (r"\d{4}", "1010"),
    "BE": (r"\d{4}", "1000"),
    "CH": (r"\d{4}", "8001"),
    "DK": (r"\d{4}", "1050"),
    "NL": (r"\d{4} ?[A-Z]{2}", "1012 AB"),
    "PL": (r"\d{2}-\d{3}", "00-001"),
    "SE": (r"\d{3} ?\d{2}", "114 55"),
    "GB": (r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", "SW1A 1AA"),
    "US": (r"\d{5}(-\d{4})?", "94103"),
    "FI": (r"\d{5}", "00100"),
    "IE": (r"[A-Z]\d[\dW] ?[\dA-Z]{4}", "D02 X285"),
    "PT": (r"\d{4}-\d{3}", "1000-001"),
    "NO": (r"\d{4}", "0150"),
}
# Countries where the region (state) is required.
REGION_REQUIRED = frozenset({"US"})
# Only destinations the tax engine has rates for (orders/data/tax_rates.json; a test holds the
# two together): Canada is not offered until its GST/HST/PST are kept as data (docs/adr/0070).
SHIPPING_COUNTRIES = ("AT", "BE", "CH", "DE", "DK", "ES", "FI", "FR", "GB", "IE", "IT", "NL", "NO", "PL", "PT", "SE",
                      "US")


@dataclass(frozen=True)
class Address:
    name: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def country_choices() -> list[tuple[str, str]]:
    return sorted(((code, str(countries.name(code))) for code in SHIPPING_COUNTRIES), key=lambda c: c[1])


def address_validate(data: dict[str, Any]) -> Address:
    """Clean and check an address; every problem is reported at once, per field."""

    def text(key: str, limit: int) -> str:
        return " ".join(str(data.get(key) or "").split())[:limit]

    country = text("country", 2).upper()
    values = {
        "name": text("name", 200), "line1": text("line1", 200), "line2": text("line2", 200),
        "city": text("city", 100), "region": text("region", 100).upper() if country in REGION_REQUIRED
        else text("region", 100), "postal_code": text("postal_code", 20).upper(), "country": country,
    }
    errors: dict[str, list[str]] = {}
    for key in ("name", "line1", "city", "postal_code", "country"):
        if not values[key]:
            errors[key] = [_("This field is required.")]
    if country and country not in SHIPPING_COUNTRIES:
        errors["country"] = [_("We do not ship to this country.")]
    if country in REGION_REQUIRED and not values["region"]:
        errors["region"] = [_("This field is required.")]
    pattern = POSTAL_CODE_PATTERNS.get(country)
    if pattern and values["postal_code"] and not re.fullmatch(pattern[0], values["postal_code"]):
        errors["postal_code"] = [_("Enter a postal code like %(example)s.") % {"example": pattern[1]}]
    if errors:
        raise InvalidAddress(_("Please correct the shipping address."), fields=errors)
    return Address(**values)
