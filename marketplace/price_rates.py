"""Exchange rates as search and the price displays see them: an interface the orders app
implements (docs/adr/0087, 0096).

The rate store lives in orders, above marketplace, so search never imports it: OrdersConfig.ready
registers the reader here. Without one, only the identity rate is known: a price filter or sort in
a currency keeps to the listings priced in it, and every other price shows in its own currency
(the behaviour before conversion).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.utils import timezone


@dataclass(frozen=True)
class RateQuote:
    """`rate`: target per one unit of a listing's currency, as the cart converts with it; `date`:
    the day of the reference rates it comes from (the last known within the allowed age)."""

    rate: Decimal
    date: dt.date


class PriceRates(Protocol):
    def rates_to(self, *, target: str) -> dict[str, Decimal]:
        """Today's rate to `target` (target per one unit) for each currency that has one, `target`
        itself included; a currency without a rate within the allowed age is left out."""
        ...

    def quotes_to(self, *, target: str) -> dict[str, RateQuote]:
        """`rates_to` with the day of each rate (the listings API and the price displays)."""
        ...

    def buyer_currency(self, *, session: Any, language: str) -> str:
        """The currency the buyer sees prices in (their choice, else a default)."""
        ...

    def buyer_choice(self, *, session: Any) -> str | None:
        """The currency the buyer chose in the header's switcher, None when they chose none."""
        ...


class _IdentityRates:
    def rates_to(self, *, target: str) -> dict[str, Decimal]:
        return {target: Decimal(1)}

    def quotes_to(self, *, target: str) -> dict[str, RateQuote]:
        return {target: RateQuote(Decimal(1), timezone.localdate())}

    def buyer_currency(self, *, session: Any, language: str) -> str:
        return "EUR"

    def buyer_choice(self, *, session: Any) -> str | None:
        return None


_rates: PriceRates = _IdentityRates()


def price_rates_register(implementation: PriceRates) -> None:
    global _rates
    _rates = implementation


def price_rates() -> PriceRates:
    return _rates
