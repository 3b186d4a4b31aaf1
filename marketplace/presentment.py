"""Prices as a buyer sees them: each vendor's price converted to the buyer's presentment currency
with the cart's rates of the day and `common.money.convert` (once, half up), so a card, a product
page and the cart show what checkout charges (docs/adr/0096)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.http import HttpRequest
from django.utils.translation import get_language

from common.money import SUPPORTED_CURRENCIES, convert
from marketplace.price_rates import RateQuote, price_rates

# Where one request keeps its presentment, so the rates are read once however many prices it shows.
_REQUEST_ATTRIBUTE = "_marketplace_presentment"


@dataclass(frozen=True)
class ShownPrice:
    """One price for the buyer: `amount` in `currency` (the presentment currency when `converted`,
    else the vendor's own), and the vendor's own price it comes from."""

    amount: int
    currency: str
    own_amount: int
    own_currency: str
    converted: bool
    # The buyer's currency (the one asked for, even when this price could not be converted to it).
    target: str = ""
    rate_date: dt.date | None = None

    @property
    def differs(self) -> bool:
        """The buyer sees another currency than the vendor's: its own price is shown beside."""
        return self.converted and self.currency != self.own_currency


@dataclass(frozen=True)
class Presentment:
    """The buyer's currency and today's rates to it, per vendor currency (those with a rate)."""

    currency: str
    quotes: Mapping[str, RateQuote] = field(default_factory=dict)

    def quote(self, currency: str) -> RateQuote | None:
        return self.quotes.get(currency)

    def price(self, amount: int, currency: str) -> ShownPrice:
        """`amount` of `currency` for the buyer: converted as the cart converts it, or, when no
        rate within the allowed age is known, the vendor's own price marked as not converted."""
        amount = int(amount)
        quote = self.quotes.get(currency)
        if quote is None:
            return ShownPrice(amount, currency, amount, currency, converted=False, target=self.currency)
        shown = convert(amount, source=currency, target=self.currency, rate=quote.rate)
        return ShownPrice(shown, self.currency, amount, currency, converted=True, target=self.currency,
                          rate_date=quote.date)

    @property
    def rates(self) -> tuple[tuple[str, Decimal], ...]:
        """The rates in search's form (`SearchParams.rates`): every currency but the target."""
        return tuple(sorted((code, quote.rate) for code, quote in self.quotes.items() if code != self.currency))


def presentment_of(currency: str) -> Presentment:
    """Today's rates to `currency` (one read, cached per projection generation and day)."""
    return Presentment(currency, price_rates().quotes_to(target=currency))


def request_currency(request: HttpRequest | None) -> str:
    """The currency a request's buyer sees prices in: their choice in the header's switcher, else
    the default from the country of their last checkout and their language."""
    session = getattr(request, "session", None) if request is not None else None
    currency = price_rates().buyer_currency(session=session, language=get_language() or "")
    return currency if currency in SUPPORTED_CURRENCIES else "EUR"


def presentment_for(request: HttpRequest | None, currency: str | None = None) -> Presentment:
    """The request's presentment (its buyer's currency unless `currency` says otherwise), read
    once per request and currency."""
    currency = currency or request_currency(request)
    if request is None:
        return presentment_of(currency)
    kept: dict[str, Presentment] = getattr(request, _REQUEST_ATTRIBUTE, None) or {}
    if currency not in kept:
        kept[currency] = presentment_of(currency)
        setattr(request, _REQUEST_ATTRIBUTE, kept)
    return kept[currency]
