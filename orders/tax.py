"""Tax: the tax-service interface (`TaxCalculator`), the rates-as-data implementation and the
Stripe Tax adapter; `settings.ORDERS_TAX_CALCULATOR` names the one in use (docs/adr/0070).

A destination the engine cannot tax raises `TaxDestinationUnsupported` (never 0 % silently); a
tax service that does not answer raises `TaxServiceUnavailable`. Who owes each line's tax is part
of the answer: the vendor (the default), the platform as deemed supplier (a seller established
outside the EU selling to an EU consumer), or the buyer (reverse charge: a business with a valid
VAT ID of another member state than the seller's). Goods a seller established in the EU sends to
a country outside it with its own VAT (CH, NO, GB) are an export: zero-rated, no one collects at
checkout, the destination's import VAT is levied at its border (docs/adr/0097).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from orders.errors import TaxDestinationUnsupported, TaxServiceUnavailable

RATES_FILE = Path(__file__).resolve().parent / "data" / "tax_rates.json"

VENDOR, PLATFORM, BUYER, EXPORT = "vendor", "platform", "buyer", "export"
# Who collects nothing at checkout: the buyer accounts for it (reverse charge), or it is an export.
NOT_COLLECTED = frozenset({BUYER, EXPORT})


@dataclass(frozen=True)
class TaxLine:
    """One line to tax: its amount as priced (gross when prices include tax) and its seller."""

    key: str
    amount: int
    category: str = "standard"
    # Where the vendor is established (ISO country); "" when unknown: treated as a local seller.
    seller_country: str = ""


@dataclass(frozen=True)
class TaxResult:
    key: str
    rate_bp: int
    tax_amount: int
    # Who owes the tax to the authority: VENDOR, PLATFORM (deemed supplier), BUYER (reverse
    # charge) or EXPORT (zero-rated export out of the EU; import VAT due at the destination's border).
    collector: str = VENDOR


@dataclass(frozen=True)
class TaxQuote:
    inclusive: bool
    lines: list[TaxResult]
    # Stripe Tax's calculation, recorded as a tax transaction when the order is paid ("" otherwise).
    calculation_id: str = ""

    @property
    def total(self) -> int:
        return sum(line.tax_amount for line in self.lines)

    @property
    def reverse_charge(self) -> bool:
        return any(line.collector == BUYER for line in self.lines)


class TaxCalculator(Protocol):
    def quote(self, *, country: str, region: str, currency: str, lines: list[TaxLine],
              buyer_vat_id: str = "") -> TaxQuote: ...


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def tax_of(amount: int, rate_bp: int | Decimal, *, inclusive: bool) -> int:
    """Tax in `amount`: the included share (gross × r / (1 + r)) or the added share (net × r)."""
    if rate_bp == 0 or amount == 0:
        return 0
    rate = Decimal(rate_bp) / Decimal(10000)
    if inclusive:
        return _round(Decimal(amount) * rate / (1 + rate))
    return _round(Decimal(amount) * rate)


def unsupported(country: str, region: str) -> TaxDestinationUnsupported:
    where = f"{country}-{region}" if region else (country or "?")
    return TaxDestinationUnsupported(
        _("We cannot calculate the tax for deliveries to %(where)s, so we cannot take this order. "
          "Please choose another delivery address.") % {"where": where},
        fields={"country": [_("Tax cannot be calculated for this destination.")]},
        extra={"country": country, "region": region},
    )


@dataclass(frozen=True)
class Rate:
    bp: Decimal
    source: str
    date: str


@dataclass(frozen=True)
class Jurisdiction:
    country: str
    region: str
    union: str
    inclusive: bool
    rates: dict[str, Rate]

    def rate(self, category: str) -> Rate:
        # A category the destination does not list (e.g. "reduced" in Denmark) pays its standard rate.
        return self.rates.get(category) or self.rates["standard"]


def _rates_of(raw: dict[str, Any]) -> dict[str, Rate]:
    return {name: Rate(Decimal(str(r["bp"])), r["source"], r["date"]) for name, r in raw.items()}


@cache
def rate_table(path: str = str(RATES_FILE)) -> dict[tuple[str, str], Jurisdiction]:
    """Every taxable destination of the data file, keyed (country, region) with region "" for
    countries taxed nationally."""
    with open(path, encoding="utf-8") as fh:
        countries = json.load(fh)["countries"]
    table: dict[tuple[str, str], Jurisdiction] = {}
    for country, entry in countries.items():
        inclusive, union = bool(entry["inclusive"]), entry.get("union", "")
        if "rates" in entry:
            table[(country, "")] = Jurisdiction(country, "", union, inclusive, _rates_of(entry["rates"]))
        for region, sub in entry.get("regions", {}).items():
            table[(country, region)] = Jurisdiction(country, region, union, inclusive, _rates_of(sub["rates"]))
    return table


def eu_countries() -> frozenset[str]:
    return frozenset(j.country for j in rate_table().values() if j.union == "EU")


def imports_taxed_at_border(country: str) -> bool:
    """A country outside the EU with one national VAT (CH, NO, GB): goods sent there from abroad
    pay its import VAT at its border. (The US taxes sales by state: no such rule here.)"""
    return country not in eu_countries() and (country, "") in rate_table()


def collector_for(*, destination: str, seller_country: str, buyer_vat_id: str) -> str:
    """Who owes the tax: for goods a seller established in the EU sends out of it, no one at
    checkout (an export, zero-rated: Art. 146(1)(a) and (b) Directive 2006/112/EC; the import VAT
    is levied at the destination's border). On an EU sale: the buyer under reverse charge (a
    business with a VAT ID of the destination, bought from a seller of another state), the
    platform as deemed supplier (a seller established outside the EU selling to a consumer), else
    the vendor. A seller selling in its own country charges that country's tax."""
    eu = eu_countries()
    seller = (seller_country or destination).upper()
    if destination not in eu:
        return EXPORT if seller in eu and imports_taxed_at_border(destination) else VENDOR
    if buyer_vat_id:
        return BUYER if seller != destination else VENDOR
    return PLATFORM if seller not in eu else VENDOR


class DataRateTaxCalculator:
    """Rates by destination country (and US state) and product tax category, from the data file
    `orders/data/tax_rates.json` (or `settings.ORDERS_TAX_RATES_FILE`)."""

    def jurisdiction(self, *, country: str, region: str) -> Jurisdiction:
        table = rate_table(str(getattr(settings, "ORDERS_TAX_RATES_FILE", "") or RATES_FILE))
        country, region = country.upper(), region.upper()
        found = table.get((country, "")) or table.get((country, region))
        if found is None:
            raise unsupported(country, region)
        return found

    def rate_bp(self, *, country: str, region: str, category: str) -> Decimal:
        return self.jurisdiction(country=country, region=region).rate(category).bp

    def quote(self, *, country: str, region: str, currency: str, lines: list[TaxLine],
              buyer_vat_id: str = "") -> TaxQuote:
        place = self.jurisdiction(country=country, region=region)
        results = []
        for line in lines:
            collector = collector_for(destination=place.country, seller_country=line.seller_country,
                                      buyer_vat_id=buyer_vat_id)
            rate = Decimal(0) if collector in NOT_COLLECTED else place.rate(line.category).bp
            results.append(TaxResult(line.key, _round(rate), tax_of(line.amount, rate, inclusive=place.inclusive),
                                     collector))
        return TaxQuote(inclusive=place.inclusive, lines=results)


class StripeTaxCalculator:
    """Stripe Tax through the payments gateway: one tax calculation per quote. Stripe decides
    the rates; who owes the tax is the platform's rule (`collector_for`), as with the data."""

    def quote(self, *, country: str, region: str, currency: str, lines: list[TaxLine],
              buyer_vat_id: str = "") -> TaxQuote:
        from payments import gateway
        from payments.errors import GatewayUnavailable, InvalidGatewayRequest

        country, region = country.upper(), region.upper()
        collectors = [collector_for(destination=country, seller_country=line.seller_country,
                                    buyer_vat_id=buyer_vat_id) for line in lines]
        try:
            calculation = gateway.tax_calculation_create(
                currency=currency, country=country, region=region,
                lines=[gateway.TaxCalculationLine(reference=line.key, amount=line.amount,
                                                  tax_code=STRIPE_TAX_CODES.get(line.category, STRIPE_TAX_CODES["standard"]),
                                                  exempt=collector in NOT_COLLECTED)
                       for line, collector in zip(lines, collectors, strict=True)],
            )
        except GatewayUnavailable as exc:
            raise TaxServiceUnavailable(
                _("The tax service did not answer in time; nothing was ordered. Please try again in a moment.")
            ) from exc
        except InvalidGatewayRequest as exc:
            raise unsupported(country, region) from exc
        by_ref = {item.reference: item for item in calculation.lines}
        if any(by_ref[line.key].reason in NOT_TAXED_BY_STRIPE for line in lines):
            # Stripe answers 0 where the platform is not registered: that is no tax answer.
            raise unsupported(country, region)
        results = [TaxResult(line.key, by_ref[line.key].rate_bp, by_ref[line.key].amount_tax, collector)
                   for line, collector in zip(lines, collectors, strict=True)]
        return TaxQuote(inclusive=calculation.inclusive, lines=results, calculation_id=calculation.id)


NOT_TAXED_BY_STRIPE = frozenset({"not_collecting", "not_supported"})

# Stripe's product tax codes for the project's categories (Stripe Tax docs: product tax codes).
STRIPE_TAX_CODES = {
    "standard": "txcd_99999999", "reduced": "txcd_99999999", "books": "txcd_35010000",
    "food": "txcd_40060003", "exempt": "txcd_00000000",
}


def tax_calculator() -> TaxCalculator:
    path = getattr(settings, "ORDERS_TAX_CALCULATOR", "orders.tax.DataRateTaxCalculator")
    return import_string(path)()  # type: ignore[no-any-return]
