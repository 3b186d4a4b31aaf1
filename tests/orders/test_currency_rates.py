"""Exchange rates: the ECB parser on the shipped sample, the daily store, the rate for a day
(last known within the limit, else refused) and conversion across ISO 4217 exponents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from common.money import MoneyError, convert, cross_rate
from orders.currency import (
    SAMPLE_FILE,
    EcbFileProvider,
    SampleRatesProvider,
    currency_check,
    ecb_parse,
    presentment_default,
    rate_for,
    rates_refresh,
)
from orders.errors import CurrencyUnsupported, ExchangeRateMissing, ExchangeRateSourceInvalid
from orders.models import ExchangeRate

SAMPLE_DAY = dt.date(2026, 12, 4)


def test_the_sample_file_parses_into_one_rate_set_per_day():
    sets = ecb_parse(SAMPLE_FILE.read_bytes())

    assert [s.date for s in sets] == [SAMPLE_DAY, dt.date(2026, 12, 3)]
    latest = sets[0]
    assert latest.base == "EUR" and latest.source == "ecb"
    assert latest.rates["GBP"] == Decimal("0.83125")
    assert latest.rates["JPY"] == Decimal("158.47")
    # Currencies the marketplace does not sell in are left out.
    assert "TRY" not in latest.rates and "EUR" not in latest.rates


@pytest.mark.parametrize("document", [
    b"not xml",
    b"<Envelope/>",
    b"<gesmes:Envelope xmlns:gesmes='http://www.gesmes.org/xml/2002-08-01' "
    b"xmlns='http://www.ecb.int/vocabulary/2002-08-01/eurofxref'><Cube><Cube time='2026-12-04'>"
    b"<Cube currency='GBP' rate='-1'/></Cube></Cube></gesmes:Envelope>",
    b"<gesmes:Envelope xmlns:gesmes='http://www.gesmes.org/xml/2002-08-01' "
    b"xmlns='http://www.ecb.int/vocabulary/2002-08-01/eurofxref'><Cube><Cube time='yesterday'>"
    b"<Cube currency='GBP' rate='0.8'/></Cube></Cube></gesmes:Envelope>",
])
def test_a_broken_file_is_refused(document):
    with pytest.raises(ExchangeRateSourceInvalid):
        ecb_parse(document)


def test_an_entity_expansion_is_refused():
    bomb = (b"<?xml version='1.0'?><!DOCTYPE r [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;'>]>"
            b"<r>&b;</r>")
    with pytest.raises(Exception) as info:
        ecb_parse(bomb)
    assert not isinstance(info.value, MemoryError)


@pytest.mark.django_db
def test_refresh_stores_each_day_once():
    # USD, JPY, DKK, GBP, PLN, SEK and CHF on each of the two days.
    assert rates_refresh(provider=EcbFileProvider(SAMPLE_FILE)) == 7 + 7
    assert rates_refresh(provider=EcbFileProvider(SAMPLE_FILE)) == 0
    assert ExchangeRate.objects.get(date=SAMPLE_DAY, currency="GBP").rate == Decimal("0.83125")


@pytest.mark.django_db
def test_the_development_provider_dates_the_samples_rates_today_and_says_so():
    assert rates_refresh(provider=SampleRatesProvider()) == 7
    today = timezone.localdate()
    rate = rate_for(source="EUR", target="GBP", on=today)
    assert (rate.rate, rate.rate_date) == (Decimal("0.83125"), today)
    assert set(ExchangeRate.objects.values_list("source", flat=True)) == {"sample"}


@pytest.mark.django_db
def test_a_day_without_rates_uses_the_last_known_within_the_limit(settings):
    settings.ORDERS_FX_MAX_AGE_DAYS = 4
    rates_refresh(provider=EcbFileProvider(SAMPLE_FILE))

    sunday = rate_for(source="GBP", target="EUR", on=dt.date(2026, 12, 6))

    assert sunday.rate_date == SAMPLE_DAY and sunday.rate_source == "ecb"
    assert sunday.rate == cross_rate(base_per_from=Decimal("0.83125"), base_per_to=Decimal(1))
    assert sunday.rate == Decimal("1.2030075188")
    with pytest.raises(ExchangeRateMissing):
        rate_for(source="GBP", target="EUR", on=SAMPLE_DAY + dt.timedelta(days=5))
    # Before the first stored day there is nothing to fall back on.
    with pytest.raises(ExchangeRateMissing):
        rate_for(source="EUR", target="SEK", on=dt.date(2026, 12, 2))


@pytest.mark.django_db
def test_a_cross_rate_between_two_non_euro_currencies():
    rates_refresh(provider=EcbFileProvider(SAMPLE_FILE))

    rate = rate_for(source="GBP", target="SEK", on=SAMPLE_DAY)

    assert rate.rate == Decimal("13.8622556391")  # 11.5230 / 0.83125
    assert rate.inverse == Decimal("0.0721383320")
    assert convert(1000, source="GBP", target="SEK", rate=rate.rate) == 13862


def test_an_unknown_currency_is_refused():
    with pytest.raises(CurrencyUnsupported) as info:
        currency_check("XYZ")
    assert info.value.status_code == 400
    assert currency_check(" gbp ") == "GBP"


def test_conversion_follows_iso_4217_exponents():
    # 12.34 EUR at 158.47 JPY per EUR = 1955.5198 yen → 1956 (no minor unit in yen).
    assert convert(1234, source="EUR", target="JPY", rate=Decimal("158.47")) == 1956
    # 1956 yen back at 1/158.47 = 12.343... EUR → 1234 cents.
    assert convert(1956, source="JPY", target="EUR", rate=Decimal("0.0063103426")) == 1234
    # Half a cent rounds away from zero, for refunds (negative) too.
    assert convert(1, source="EUR", target="GBP", rate=Decimal("0.5")) == 1
    assert convert(-1, source="EUR", target="GBP", rate=Decimal("0.5")) == -1
    assert convert(500, source="EUR", target="EUR", rate=Decimal("9")) == 500


@pytest.mark.parametrize("rate", ["0", "-1", "nan", "abc"])
def test_a_rate_that_is_not_positive_is_refused(rate):
    with pytest.raises(MoneyError):
        convert(100, source="EUR", target="GBP", rate=rate)


@given(amount=st.integers(min_value=-10**12, max_value=10**12),
       rate=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("20000"), places=6))
def test_conversion_is_within_half_a_minor_unit(amount, rate):
    converted = convert(amount, source="GBP", target="EUR", rate=rate)
    exact = Decimal(amount) * rate
    assert abs(Decimal(converted) - exact) <= Decimal("0.5")


@pytest.mark.parametrize(("country", "language", "expected"), [
    ("FR", "", "EUR"), ("GB", "fr", "GBP"), ("", "sv", "SEK"), ("", "en-gb", "GBP"), ("", "de", "EUR"),
    ("BR", "", "EUR"),
])
def test_the_default_presentment_currency(country, language, expected):
    assert presentment_default(country=country, language=language) == expected
