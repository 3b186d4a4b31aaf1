"""Tax arithmetic at the edges the rate-table tests miss: one basis point, one cent, large amounts,
unknown destinations refused (each case kills a surviving mutant of orders/tax.py; docs/mutation.md)."""

from __future__ import annotations

import dataclasses

import pytest

from orders.errors import TaxDestinationUnsupported
from orders.tax import DataRateTaxCalculator, TaxLine, TaxQuote, TaxResult, tax_of


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
