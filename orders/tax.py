"""Tax: an interface (`TaxCalculator`) and the default rate-table implementation.

A tax service (Stripe Tax, Avalara…) replaces the default by implementing `TaxCalculator` and
naming its class in `settings.ORDERS_TAX_CALCULATOR`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class TaxLine:
    """One line to tax: its amount as priced (gross when prices include tax)."""

    key: str
    amount: int
    category: str = "standard"


@dataclass(frozen=True)
class TaxResult:
    key: str
    rate_bp: int
    tax_amount: int


@dataclass(frozen=True)
class TaxQuote:
    inclusive: bool
    lines: list[TaxResult]

    @property
    def total(self) -> int:
        return sum(line.tax_amount for line in self.lines)


class TaxCalculator(Protocol):
    def quote(self, *, country: str, region: str, currency: str, lines: list[TaxLine]) -> TaxQuote: ...


# Countries whose consumer prices include tax (VAT/GST); others add sales tax at checkout.
INCLUSIVE_COUNTRIES = frozenset(
    {"AT", "BE", "DE", "DK", "ES", "FI", "FR", "GB", "IE", "IT", "NL", "PL", "PT", "SE", "CH"}
)
# Rates in basis points by (country, category); "*" is the country's default category.
RATES: dict[str, dict[str, int]] = {
    "DE": {"*": 1900, "reduced": 700, "books": 700, "food": 700, "exempt": 0},
    "FR": {"*": 2000, "reduced": 550, "books": 550, "food": 550, "exempt": 0},
    "NL": {"*": 2100, "reduced": 900, "books": 900, "food": 900, "exempt": 0},
    "AT": {"*": 2000, "reduced": 1000, "books": 1000, "food": 1000, "exempt": 0},
    "BE": {"*": 2100, "reduced": 600, "exempt": 0},
    "IT": {"*": 2200, "reduced": 1000, "books": 400, "exempt": 0},
    "ES": {"*": 2100, "reduced": 1000, "books": 400, "exempt": 0},
    "GB": {"*": 2000, "reduced": 500, "books": 0, "food": 0, "exempt": 0},
    "CH": {"*": 810, "reduced": 260, "books": 260, "food": 260, "exempt": 0},
    "SE": {"*": 2500, "reduced": 1200, "books": 600, "exempt": 0},
    "DK": {"*": 2500, "exempt": 0},
    "PL": {"*": 2300, "reduced": 800, "books": 500, "exempt": 0},
}
# US sales tax by state (a region), exclusive; a few states for the default table.
US_STATE_RATES: dict[str, int] = {"CA": 725, "NY": 400, "TX": 625, "WA": 650, "OR": 0, "DE": 0}
US_EXEMPT_CATEGORIES = frozenset({"food", "exempt"})


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def tax_of(amount: int, rate_bp: int, *, inclusive: bool) -> int:
    """Tax in `amount`: the included share (gross × r / (1 + r)) or the added share (net × r)."""
    if rate_bp == 0 or amount == 0:
        return 0
    rate = Decimal(rate_bp) / Decimal(10000)
    if inclusive:
        return _round(Decimal(amount) * rate / (1 + rate))
    return _round(Decimal(amount) * rate)


class RateTableTaxCalculator:
    """Rates by destination country (and US state) and product tax category."""

    def rate_bp(self, *, country: str, region: str, category: str) -> int:
        country = country.upper()
        if country == "US":
            if category in US_EXEMPT_CATEGORIES:
                return 0
            return US_STATE_RATES.get(region.upper(), 0)
        table = RATES.get(country)
        if table is None:
            return 0
        return table.get(category, table["*"])

    def quote(self, *, country: str, region: str, currency: str, lines: list[TaxLine]) -> TaxQuote:
        inclusive = country.upper() in INCLUSIVE_COUNTRIES
        results = []
        for line in lines:
            rate = self.rate_bp(country=country, region=region, category=line.category)
            results.append(TaxResult(line.key, rate, tax_of(line.amount, rate, inclusive=inclusive)))
        return TaxQuote(inclusive=inclusive, lines=results)


def tax_calculator() -> TaxCalculator:
    path = getattr(settings, "ORDERS_TAX_CALCULATOR", "orders.tax.RateTableTaxCalculator")
    return import_string(path)()  # type: ignore[no-any-return]
