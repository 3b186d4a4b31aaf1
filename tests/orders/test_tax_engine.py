"""The tax engine: rates as data per country group, the FI/IE/PT fix, refusal of untaxable
destinations, VAT IDs and reverse charge, deemed supplier (docs/adr/0070, 0071)."""

from __future__ import annotations

import json

import pytest

from orders.errors import InvalidVatId, TaxDestinationUnsupported
from orders.tax import (
    BUYER,
    PLATFORM,
    RATES_FILE,
    VENDOR,
    DataRateTaxCalculator,
    TaxLine,
    collector_for,
    rate_table,
)
from orders.vat import vat_id_validate

EU_27 = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV",
         "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}


def quote(country, region="", *lines, vat_id=""):
    return DataRateTaxCalculator().quote(country=country, region=region, currency="EUR", lines=list(lines),
                                         buyer_vat_id=vat_id)


def test_the_data_covers_eu_27_uk_ch_no_and_every_us_state_with_source_and_date():
    with open(RATES_FILE, encoding="utf-8") as fh:
        countries = json.load(fh)["countries"]
    assert EU_27 | {"GB", "CH", "NO", "US"} == set(countries)
    assert {c for c, e in countries.items() if e["union"] == "EU"} == EU_27
    assert len(countries["US"]["regions"]) == 51  # 50 states and DC
    for entry in [*countries.values(), *countries["US"]["regions"].values()]:
        for rate in entry.get("rates", {}).values():
            assert rate["source"] and len(rate["date"]) == 10 and rate["bp"] >= 0


@pytest.mark.parametrize(("country", "amount", "rate", "tax"), [
    # The defect: FI, IE and PT were tax-inclusive with no rates, so charged 0 %.
    ("FI", 12_550, 2550, 2550), ("IE", 12_300, 2300, 2300), ("PT", 12_300, 2300, 2300),
])
def test_finland_ireland_portugal_pay_their_vat(country, amount, rate, tax):
    result = quote(country, "", TaxLine("a", amount))
    assert result.inclusive and [(r.rate_bp, r.tax_amount) for r in result.lines] == [(rate, tax)]


@pytest.mark.parametrize(("country", "category", "amount", "rate", "tax"), [
    ("DE", "standard", 11_900, 1900, 1900), ("DE", "books", 10_700, 700, 700),  # EU standard, reduced
    ("FR", "food", 10_550, 550, 550), ("IT", "books", 10_400, 400, 400), ("HR", "standard", 12_500, 2500, 2500),
    ("DK", "reduced", 12_500, 2500, 2500),  # no reduced rate: the standard one
    ("GB", "standard", 12_000, 2000, 2000), ("GB", "books", 10_000, 0, 0),  # UK
    ("CH", "standard", 10_810, 810, 810), ("CH", "food", 10_260, 260, 260),  # Switzerland
    ("NO", "standard", 12_500, 2500, 2500), ("NO", "food", 11_500, 1500, 1500),  # Norway
])
def test_rates_per_country_group_prices_include_vat(country, category, amount, rate, tax):
    result = quote(country, "", TaxLine("a", amount, category))
    assert result.inclusive and (result.lines[0].rate_bp, result.lines[0].tax_amount) == (rate, tax)


@pytest.mark.parametrize(("state", "category", "rate", "tax"), [
    ("CA", "standard", 725, 725), ("NY", "books", 400, 400), ("TX", "food", 0, 0), ("AL", "food", 400, 400),
    ("OR", "standard", 0, 0), ("MN", "standard", 688, 688),  # 6.875 %: 687.5 on 100.00 rounds half up
    ("NJ", "standard", 663, 663),  # 6.625 %: the tax is exact, the stored rate rounded half up
])
def test_us_states_add_sales_tax(state, category, rate, tax):
    result = quote("US", state.lower(), TaxLine("a", 10_000, category))
    assert not result.inclusive
    assert (result.lines[0].rate_bp, result.lines[0].tax_amount) == (rate, tax)


@pytest.mark.parametrize(("country", "region"), [("JP", ""), ("US", ""), ("US", "PR"), ("CA", "ON"), ("", "")])
def test_destinations_without_rates_are_refused(country, region):
    with pytest.raises(TaxDestinationUnsupported) as refused:
        quote(country, region, TaxLine("a", 1000))
    assert refused.value.code == "tax_destination_unsupported" and refused.value.status_code == 422


def test_every_shipping_country_has_rates_and_the_ones_the_issue_names_are_offered():
    from orders.addresses import SHIPPING_COUNTRIES, country_choices

    table = rate_table()
    offered = {code for code, _name in country_choices()}
    assert {"FI", "IE", "PT", "NO"} <= offered and "CA" not in offered
    for country in SHIPPING_COUNTRIES:
        if country == "US":
            # Taxed per state: every state and DC has its own rates.
            assert len([region for c, region in table if c == "US" and region]) == 51
        else:
            assert quote(country, "", TaxLine("a", 10_000)).lines[0].rate_bp > 0, country


def test_reverse_charge_for_a_business_buying_across_a_border():
    lines = [TaxLine("cross", 10_000, "standard", "FR"), TaxLine("local", 11_900, "standard", "DE")]
    result = quote("DE", "", *lines, vat_id="DE136695976")
    assert [(r.key, r.rate_bp, r.tax_amount, r.collector) for r in result.lines] == [
        ("cross", 0, 0, BUYER), ("local", 1900, 1900, VENDOR)]
    assert result.reverse_charge


def test_deemed_supplier_when_a_seller_outside_the_eu_sells_to_an_eu_consumer():
    result = quote("FR", "", TaxLine("a", 12_000, "standard", "US"), TaxLine("b", 12_000, "standard", "DE"))
    assert [(r.collector, r.tax_amount) for r in result.lines] == [(PLATFORM, 2000), (VENDOR, 2000)]
    # A business buyer accounts for it itself; outside the EU the vendor stays responsible.
    assert collector_for(destination="FR", seller_country="US", buyer_vat_id="FR40303265045") == BUYER
    assert collector_for(destination="GB", seller_country="US", buyer_vat_id="") == VENDOR


@pytest.mark.parametrize(("raw", "destination", "expected"), [
    ("DE 136 695 976", "DE", "DE136695976"), ("fr40303265045", "FR", "FR40303265045"),
    ("EL094259216", "GR", "EL094259216"), ("", "DE", ""),
])
def test_vat_ids_are_compacted_and_checked(raw, destination, expected):
    assert vat_id_validate(raw, destination=destination) == expected


@pytest.mark.parametrize(("raw", "destination"), [
    ("DE136695977", "DE"),  # check digit wrong
    ("FR40303265045", "DE"),  # another country's number
    ("XX123", "DE"),
])
def test_invalid_vat_ids_are_refused(raw, destination):
    with pytest.raises(InvalidVatId) as refused:
        vat_id_validate(raw, destination=destination)
    assert "vat_id" in refused.value.fields


def test_an_unregistered_vat_id_is_refused_by_the_registry(settings):
    settings.ORDERS_VAT_UNREGISTERED = ["DE136695976"]
    with pytest.raises(InvalidVatId, match="not registered"):
        vat_id_validate("DE136695976", destination="DE")
