"""Tax rates and rounding, shipping rules, and per-country address validation."""

from __future__ import annotations

import pytest

from orders.addresses import address_validate
from orders.errors import InvalidAddress, TaxDestinationUnsupported
from orders.models import ShippingRate
from orders.shipping import shipping_amount, shipping_options
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


def test_shipping_flat_weight_and_free_threshold():
    assert shipping_amount(kind="flat", base_amount=490, per_kg_amount=0, free_over_amount=5000,
                           subtotal=4999, weight_grams=0) == 490
    assert shipping_amount(kind="flat", base_amount=490, per_kg_amount=0, free_over_amount=5000,
                           subtotal=5000, weight_grams=0) == 0
    # Base + per started kilogram: 2.001 kg is 3 kg.
    assert shipping_amount(kind="weight", base_amount=500, per_kg_amount=100, free_over_amount=None,
                           subtotal=10**9, weight_grams=2001) == 800


def test_shipping_options_follow_countries_and_currency():
    rates = [
        ShippingRate(pk=1, name="EU", kind="flat", currency="EUR", base_amount=500, countries=["DE", "FR"]),
        ShippingRate(pk=2, name="World", kind="flat", currency="EUR", base_amount=2000),
        ShippingRate(pk=3, name="USD only", kind="flat", currency="USD", base_amount=100),
        ShippingRate(pk=4, name="Off", kind="flat", currency="EUR", base_amount=1, is_active=False),
    ]
    assert [o.name for o in shipping_options(rates=rates, currency="EUR", country="DE", subtotal=0, weight_grams=0)] == ["EU", "World"]
    assert [o.name for o in shipping_options(rates=rates, currency="EUR", country="US", subtotal=0, weight_grams=0)] == ["World"]
    fallback = shipping_options(rates=[], currency="EUR", country="US", subtotal=100, weight_grams=0)
    assert [o.rate_id for o in fallback] == [None]


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
