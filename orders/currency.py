"""Exchange rates: the rate-provider interface, the ECB reference-rate parser, the daily store,
the rate for a day (the last known within ORDERS_FX_MAX_AGE_DAYS, else refused) and the buyer's
presentment currency. Arithmetic stays in `common.money` (docs/adr/0086)."""

from __future__ import annotations

import datetime as dt
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from defusedxml import ElementTree
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from common.databases import replica_alias
from common.money import SUPPORTED_CURRENCIES, MoneyError, convert, cross_rate, rate_normalize
from marketplace.price_rates import RateQuote
from marketplace.search import projection_changed, projection_generation
from orders.errors import CurrencyUnsupported, ExchangeRateMissing, ExchangeRateSourceInvalid
from orders.models import ExchangeRate, Order, OrderExchangeRate, SubOrder

ECB = "ecb"
ECB_BASE = "EUR"
ECB_NAMESPACE = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
SAMPLE_FILE = Path(__file__).resolve().parent / "data" / "ecb-sample.xml"


@dataclass(frozen=True)
class RateSet:
    """One day's quotes of one source: units of each currency for one `base`."""

    source: str
    date: dt.date
    base: str
    rates: dict[str, Decimal]


@dataclass(frozen=True)
class FxRate:
    """`target` per one `source` on `rate_date`; `inverse` is `source` per one `target`."""

    source_currency: str
    target_currency: str
    rate: Decimal
    inverse: Decimal
    rate_date: dt.date
    rate_source: str


class RateProvider(Protocol):
    source: str

    def fetch(self) -> list[RateSet]: ...


def ecb_parse(document: bytes) -> list[RateSet]:
    """The ECB's eurofxref XML (daily, 90-day or historical file) as one RateSet per day.

    Refuses a file that is not that format, a day without quotes and a quote that is not a
    positive number; currencies the project does not support are skipped."""
    try:
        root = ElementTree.fromstring(document)
    except ElementTree.ParseError as exc:
        raise ExchangeRateSourceInvalid(_("The exchange-rate file is not valid XML.")) from exc
    outer = root.find(f"{ECB_NAMESPACE}Cube")
    if outer is None:
        raise ExchangeRateSourceInvalid(_("The exchange-rate file has no rates."))
    sets: list[RateSet] = []
    for day in outer.findall(f"{ECB_NAMESPACE}Cube"):
        try:
            date = dt.date.fromisoformat(day.get("time", ""))
        except ValueError as exc:
            raise ExchangeRateSourceInvalid(_("A day in the exchange-rate file has no valid date.")) from exc
        rates: dict[str, Decimal] = {}
        for quote in day.findall(f"{ECB_NAMESPACE}Cube"):
            currency = (quote.get("currency") or "").upper()
            try:
                rate = rate_normalize(quote.get("rate") or "")
            except MoneyError as exc:
                raise ExchangeRateSourceInvalid(
                    _("The rate of %(currency)s on %(date)s is not a positive number.")
                    % {"currency": currency or "?", "date": date}
                ) from exc
            if currency in SUPPORTED_CURRENCIES:
                rates[currency] = rate
        if not rates:
            raise ExchangeRateSourceInvalid(_("The exchange-rate file has no rates for %(date)s.") % {"date": date})
        sets.append(RateSet(ECB, date, ECB_BASE, rates))
    if not sets:
        raise ExchangeRateSourceInvalid(_("The exchange-rate file has no rates."))
    return sets


class EcbFileProvider:
    """Reads an ECB file from disk (tests, demo, and a manual import)."""

    source = ECB

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path or getattr(settings, "ORDERS_FX_ECB_FILE", "") or SAMPLE_FILE)

    def fetch(self) -> list[RateSet]:
        return ecb_parse(self.path.read_bytes())


class SampleRatesProvider:
    """Development and the demo only (no network): the shipped sample's newest quotes, dated
    today and labelled `sample`, never `ecb`, so a converted price never claims to be the ECB's."""

    source = "sample"

    def fetch(self) -> list[RateSet]:
        newest = max(ecb_parse(SAMPLE_FILE.read_bytes()), key=lambda rate_set: rate_set.date)
        return [RateSet(self.source, timezone.localdate(), newest.base, dict(newest.rates))]


class EcbHttpProvider:
    """Downloads the ECB's daily file from ORDERS_FX_ECB_URL (production; never in tests)."""

    source = ECB

    def fetch(self) -> list[RateSet]:
        url = settings.ORDERS_FX_ECB_URL
        if not url.startswith("https://"):
            raise ExchangeRateSourceInvalid(_("ORDERS_FX_ECB_URL must be an https address."))
        try:
            with urllib.request.urlopen(url, timeout=settings.ORDERS_FX_TIMEOUT_SECONDS) as response:  # nosec B310  # https only, checked above
                document = response.read(2_000_000)
        except OSError as exc:
            raise ExchangeRateSourceInvalid(_("The exchange-rate source did not answer.")) from exc
        return ecb_parse(document)


def rate_provider() -> RateProvider:
    provider: RateProvider = import_string(settings.ORDERS_FX_PROVIDER)()
    return provider


@transaction.atomic
def rates_store(*, rate_sets: Iterable[RateSet]) -> int:
    """Store each day's quotes once (a re-fetched day keeps its first rates); returns rows added."""
    rows = [
        ExchangeRate(source=rate_set.source, date=rate_set.date, base=rate_set.base, currency=currency, rate=rate)
        for rate_set in rate_sets for currency, rate in sorted(rate_set.rates.items())
    ]
    before = ExchangeRate.objects.count()
    ExchangeRate.objects.bulk_create(rows, ignore_conflicts=True)
    added = ExchangeRate.objects.count() - before
    if added:
        # Search prices converted at the older rates (cached facets and pages) are stale now.
        transaction.on_commit(projection_changed)
    return added


def rates_refresh(*, provider: RateProvider | None = None) -> int:
    return rates_store(rate_sets=(provider or rate_provider()).fetch())


def currency_check(currency: str | None) -> str:
    """A currency the buyer may choose, upper-cased; `CurrencyUnsupported` (400) otherwise."""
    code = (currency or "").strip().upper()
    if code not in SUPPORTED_CURRENCIES:
        raise CurrencyUnsupported(
            _("%(currency)s is not a currency this marketplace sells in.") % {"currency": currency or "?"},
            fields={"currency": [_("Choose one of %(list)s.") % {"list": ", ".join(SUPPORTED_CURRENCIES)}]},
        )
    return code


def _quote(currency: str, on: dt.date, oldest: dt.date) -> ExchangeRate | None:
    return (
        ExchangeRate.objects.filter(base=ECB_BASE, currency=currency, date__lte=on, date__gte=oldest)
        .order_by("-date").first()
    )


def rate_for(*, source: str, target: str, on: dt.date) -> FxRate:
    """`target` per one `source` on day `on`: the latest rates published on or before it, no older
    than ORDERS_FX_MAX_AGE_DAYS (weekends and holidays have none); otherwise refused."""
    source, target = currency_check(source), currency_check(target)
    if source == target:
        return FxRate(source, target, Decimal(1), Decimal(1), on, "identity")
    oldest = on - dt.timedelta(days=settings.ORDERS_FX_MAX_AGE_DAYS)
    quotes = {}
    for currency in {source, target} - {ECB_BASE}:
        quote = _quote(currency, on, oldest)
        if quote is None:
            raise ExchangeRateMissing(
                _("No exchange rate from %(source)s to %(target)s is known for %(date)s; "
                  "please try again later or pay in %(source)s.") % {"source": source, "target": target, "date": on}
            )
        quotes[currency] = quote
    per_source = quotes[source].rate if source in quotes else Decimal(1)
    per_target = quotes[target].rate if target in quotes else Decimal(1)
    rate_date = min(quote.date for quote in quotes.values())
    return FxRate(
        source, target, cross_rate(base_per_from=per_source, base_per_to=per_target),
        cross_rate(base_per_from=per_target, base_per_to=per_source), rate_date,
        "+".join(sorted({quote.source for quote in quotes.values()})),
    )


def rates_to(*, target: str, on: dt.date) -> dict[str, FxRate]:
    """`rate_for(source=each, target=target, on=on)` for every supported currency that has a rate,
    in one query; a currency without one (or when `target` has none, every other) is left out."""
    target = currency_check(target)
    oldest = on - dt.timedelta(days=settings.ORDERS_FX_MAX_AGE_DAYS)
    quotes = {
        quote.currency: quote
        # Search's rates: read where search reads the projection (the replica, when there is one).
        for quote in ExchangeRate.objects.using(replica_alias()).filter(base=ECB_BASE, currency__in=SUPPORTED_CURRENCIES,
                                                 date__lte=on, date__gte=oldest)
        .order_by("currency", "-date").distinct("currency")
    }
    rates = {target: FxRate(target, target, Decimal(1), Decimal(1), on, "identity")}
    if target != ECB_BASE and target not in quotes:
        return rates
    per_target = quotes[target].rate if target in quotes else Decimal(1)
    for source in SUPPORTED_CURRENCIES:
        if source == target or (source != ECB_BASE and source not in quotes):
            continue
        per_source = quotes[source].rate if source in quotes else Decimal(1)
        used = [quotes[code] for code in {source, target} - {ECB_BASE}]
        rates[source] = FxRate(
            source, target, cross_rate(base_per_from=per_source, base_per_to=per_target),
            cross_rate(base_per_from=per_target, base_per_to=per_source), min(quote.date for quote in used),
            "+".join(sorted({quote.source for quote in used})),
        )
    return rates


class SearchPriceRates:
    """What search and the price displays convert listing prices with (registered in
    OrdersConfig.ready, ADR 0087 and 0096): the rates a cart would use today, cached per projection
    generation (a stored day bumps it)."""

    def rates_to(self, *, target: str) -> dict[str, Decimal]:
        return {code: quote.rate for code, quote in self.quotes_to(target=target).items()}

    def quotes_to(self, *, target: str) -> dict[str, RateQuote]:
        today = timezone.localdate()
        if target not in SUPPORTED_CURRENCIES:
            return {target: RateQuote(Decimal(1), today)}
        key = f"orders:fx:quotes-to:{projection_generation()}:{target}:{today.isoformat()}"
        cached = cache.get(key)
        if isinstance(cached, dict):
            return cached
        quotes = {code: RateQuote(fx.rate, fx.rate_date) for code, fx in rates_to(target=target, on=today).items()}
        cache.set(key, quotes, RATES_CACHE_SECONDS)
        return quotes

    def buyer_currency(self, *, session: Any, language: str) -> str:
        return buyer_currency(session=session, language=language)[1]

    def buyer_choice(self, *, session: Any) -> str | None:
        return buyer_currency(session=session)[0]


RATES_CACHE_SECONDS = 3600
SESSION_CURRENCY = "orders_currency"


def buyer_currency(*, session: Any, language: str = "") -> tuple[str | None, str]:
    """(the currency the buyer chose, or None; the one to show: that, else the default from the
    country of their last checkout, else from their language)."""
    chosen = session.get(SESSION_CURRENCY) if session is not None else None
    chosen = chosen if chosen in SUPPORTED_CURRENCIES else None
    country = session.get("orders_country", "") if session is not None else ""
    return chosen, chosen or presentment_default(country=country, language=language)


# A country's currency when it has one the marketplace sells in; otherwise EUR.
COUNTRY_CURRENCY = {
    "GB": "GBP", "US": "USD", "CH": "CHF", "LI": "CHF", "SE": "SEK", "DK": "DKK", "PL": "PLN", "JP": "JPY",
}
LANGUAGE_CURRENCY = {"en-gb": "GBP", "en-us": "USD", "sv": "SEK", "da": "DKK", "pl": "PLN", "ja": "JPY"}


def presentment_default(*, country: str = "", language: str = "") -> str:
    """The currency a buyer sees first: from the country when known, else from the language."""
    if country:
        return COUNTRY_CURRENCY.get(country.upper(), settings.ORDERS_FX_DEFAULT_CURRENCY)
    language = (language or "").lower()
    return LANGUAGE_CURRENCY.get(language, LANGUAGE_CURRENCY.get(language.split("-")[0],
                                                                settings.ORDERS_FX_DEFAULT_CURRENCY))


def settlement_of(*, sub_order: SubOrder, amount: int) -> int:
    """`amount` of the order's currency in the vendor's settlement currency, at the order's
    snapshot (the inverse rate kept at checkout); the same amount when the currencies agree."""
    order_currency = sub_order.order.currency
    target = sub_order.settlement_currency or order_currency
    if target == order_currency:
        return amount
    snapshot = OrderExchangeRate.objects.get(order_id=sub_order.order_id, source_currency=target,
                                             target_currency=order_currency)
    return convert(amount, source=order_currency, target=target, rate=snapshot.inverse_rate)


def order_amount_of(*, order: Order, amount: int, currency: str) -> int:
    """`amount` of a vendor's settlement `currency` in the order's currency, at the order's snapshot."""
    if currency == order.currency:
        return amount
    snapshot = OrderExchangeRate.objects.get(order_id=order.pk, source_currency=currency,
                                             target_currency=order.currency)
    return convert(amount, source=currency, target=order.currency, rate=snapshot.rate)
