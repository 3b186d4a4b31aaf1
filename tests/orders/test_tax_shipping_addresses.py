"""Tax rates and rounding, and per-country address validation (shipping rules: tests/orders/test_shipping_rates.py)."""

from __future__ import annotations

import pytest

from orders.addresses import address_validate
from orders.errors import InvalidAddress, TaxDestinationUnsupported
from orders.tax import DataRateTaxCalculator, TaxLine, tax_calculator, tax_of


@pytest.mark.parametrize(("amount", "rate", "inclusive", "tax"), [
    (1190, 1900, True, 190), (1000, 1900, False, 190), (999, 700, True, 65), (1, 2000, True, 0),
    (0, 1900, True, 0), (10000, 0, False, 0), (10000, 725, False, 725),
])
def test_tax_of(amount, rate, inclusive, tax):
    assert tax_of(amount, rate, inclusive=inclusive) == tax


def test_rates_by_destination_region_and_category():
    calc = DataRateTaxCalculator()
    lines = [TaxLine("a", 1070, "books"), TaxLine("b", 1190, "standard"), TaxLine("c", 500, "exempt")]
    de = calc.quote(country="DE", region="", currency="EUR", lines=lines)
    assert de.inclusive and [r.rate_bp for r in de.lines] == [700, 1900, 0] and de.total == 70 + 190
    us = calc.quote(country="US", region="NY", currency="USD", lines=lines)
    assert not us.inclusive and [r.rate_bp for r in us.lines] == [400, 400, 0]
    with pytest.raises(TaxDestinationUnsupported):
        calc.quote(country="JP", region="", currency="JPY", lines=lines)


def test_tax_calculator_is_swappable(settings):
    settings.ORDERS_TAX_CALCULATOR = "orders.tax.DataRateTaxCalculator"
    assert isinstance(tax_calculator(), DataRateTaxCalculator)


@pytest.mark.parametrize(("country", "postal_code", "region"), [
    ("DE", "10115", ""), ("NL", "1012 ab", ""), ("GB", "sw1a 1aa", ""), ("US", "94103-1234", "ca"),
    ("PL", "00-001", ""), ("FI", "00100", ""), ("IE", "d02 x285", ""), ("PT", "1000-001", ""), ("NO", "0150", ""),
])
def test_valid_addresses(country, postal_code, region):
    address = address_validate({"name": "  Bea  Buyer ", "line1": "Main 1", "city": "X", "country": country.lower(),
                                "postal_code": postal_code, "region": region})
    assert address.country == country and address.name == "Bea Buyer"
    assert address.postal_code == postal_code.upper()


@pytest.mark.parametrize(("data", "fields"), [
    ({"country": "DE", "postal_code": "1011"}, {"postal_code"}),
    ({"country": "US", "postal_code": "94103"}, {"region"}),
    ({"country": "XX", "postal_code": "1"}, {"country"}),
    # No tax rates for Canada: not a shipping country (never an order charged 0 %).
    ({"country": "CA", "postal_code": "K1A 0B1", "region": "ON"}, {"country"}),
    ({"country": "PT", "postal_code": "1000001"}, {"postal_code"}),
    ({"country": "", "postal_code": ""}, {"country", "postal_code"}),
])
def test_invalid_addresses_report_every_field(data, fields):
    base = {"name": "Bea", "line1": "Main 1", "city": "X", "region": ""}
    with pytest.raises(InvalidAddress) as exc:
        address_validate({**base, **data})
    assert set(exc.value.fields) == fields
