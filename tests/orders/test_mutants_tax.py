"""Tax arithmetic at the edges the rate-table tests miss: one basis point, one cent, large amounts,
unknown destinations refused (each case kills a surviving mutant of orders/tax.py; docs/mutation.md)."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest

from orders.errors import TaxDestinationUnsupported
from orders.tax import DataRateTaxCalculator, TaxLine, TaxQuote, TaxResult, rate_table, tax_of


@pytest.mark.parametrize(("amount", "rate", "inclusive", "tax"), [
    # The smallest rate still taxes a large enough amount: 1 bp of 100.00 is 0.01.
    (10_000, 1, False, 1),
    # One minor unit at 50%: 0.5 rounds half up to 1 (the early return is for a zero amount only).
    (1, 5000, False, 1),
    # Large amounts expose a rate scaled by anything but exactly 10,000 basis points.
    (10_000_000, 1900, False, 1_900_000),
    (11_900_000, 1900, True, 1_900_000),
    (123_456_789, 2500, False, 30_864_197),
])
def test_tax_of_exact_at_the_edges(amount, rate, inclusive, tax):
    assert tax_of(amount, rate, inclusive=inclusive) == tax


@pytest.mark.parametrize(("country", "region"), [("JP", ""), ("US", "ZZ"), ("US", ""), ("", ""), ("CA", "ON")])
def test_unknown_destinations_are_refused_never_taxed_at_zero(country, region):
    calc = DataRateTaxCalculator()
    with pytest.raises(TaxDestinationUnsupported) as refused:
        calc.quote(country=country, region=region, currency="USD", lines=[TaxLine("a", 100_000_000, "standard")])
    assert refused.value.status_code == 422 and "country" in refused.value.fields


def test_every_line_of_a_quote_is_taxed_in_order():
    calc = DataRateTaxCalculator()
    lines = [TaxLine("a", 1190, "standard"), TaxLine("b", 1070, "books")]
    quote = calc.quote(country="de", region="", currency="EUR", lines=lines)
    assert quote.lines == [TaxResult("a", 1900, 190), TaxResult("b", 700, 70)]
    assert quote.inclusive and quote.total == 260


def test_a_quote_cannot_be_changed_after_it_is_made():
    quote = TaxQuote(inclusive=False, lines=[TaxResult("a", 725, 725)])
    with pytest.raises(dataclasses.FrozenInstanceError):
        quote.inclusive = True  # type: ignore[misc]
    assert quote.total == 725


@pytest.mark.parametrize(("collectors", "reverse_charge"), [
    (["vendor", "platform"], False), (["buyer"], True), (["vendor", "buyer"], True), ([], False),
])
def test_a_quote_is_reverse_charged_only_when_a_line_is_the_buyers(collectors, reverse_charge):
    quote = TaxQuote(inclusive=True, lines=[TaxResult(str(i), 0, 0, c) for i, c in enumerate(collectors)])
    assert quote.reverse_charge is reverse_charge


def test_a_cached_jurisdiction_cannot_be_changed():
    # rate_table() is cached for the process: a changeable entry would leak one quote's edits to all.
    germany = DataRateTaxCalculator().jurisdiction(country="DE", region="")
    with pytest.raises(dataclasses.FrozenInstanceError):
        germany.inclusive = False  # type: ignore[misc]
    assert DataRateTaxCalculator().jurisdiction(country="de", region="").inclusive


def _rates_file(tmp_path):
    rate = {"source": "test", "date": "2026-01-01"}
    path = tmp_path / "rates.json"
    path.write_text(json.dumps({"countries": {
        "XA": {"union": "EU", "inclusive": True, "rates": {"standard": {"bp": 1750, **rate}}},
        "XB": {"union": "", "inclusive": False, "regions": {
            "R1": {"rates": {"standard": {"bp": 512.5, **rate}, "food": {"bp": 0, **rate}}},
            "R2": {"rates": {"standard": {"bp": 300, **rate}}},
        }},
    }}), encoding="utf-8")
    return str(path)


def test_the_table_holds_every_country_and_every_region_of_the_file(tmp_path):
    table = rate_table(_rates_file(tmp_path))
    assert sorted(table) == [("XA", ""), ("XB", "R1"), ("XB", "R2")]
    assert table[("XA", "")].inclusive and table[("XA", "")].union == "EU"
    r1 = table[("XB", "R1")]
    assert (r1.country, r1.region, r1.inclusive) == ("XB", "R1", False)
    assert (r1.rate("standard").bp, r1.rate("food").bp, r1.rate("books").bp) == (
        Decimal("512.5"), Decimal(0), Decimal("512.5"))


def test_the_rates_file_named_in_settings_is_the_one_used(tmp_path, settings):
    settings.ORDERS_TAX_RATES_FILE = _rates_file(tmp_path)
    quote = DataRateTaxCalculator().quote(country="xb", region="r1", currency="USD",
                                          lines=[TaxLine("a", 10_000), TaxLine("b", 10_000, "food")])
    assert [(r.rate_bp, r.tax_amount) for r in quote.lines] == [(513, 513), (0, 0)]
    with pytest.raises(TaxDestinationUnsupported):
        DataRateTaxCalculator().quote(country="DE", region="", currency="EUR", lines=[TaxLine("a", 100)])


def test_the_rates_file_is_read_once_per_process(tmp_path):
    path = _rates_file(tmp_path)
    assert rate_table(path) is rate_table(path)
