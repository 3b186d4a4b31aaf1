"""Exchange rates as search sees them: an interface the orders app implements (docs/adr/0087).

The rate store lives in orders, above marketplace, so search never imports it: OrdersConfig.ready
registers the reader here. Without one, only the identity rate is known: a price filter or sort in
a currency keeps to the listings priced in it (the behaviour before conversion).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol


class PriceRates(Protocol):
    def rates_to(self, *, target: str) -> dict[str, Decimal]:
        """Today's rate to `target` (target per one unit) for each currency that has one, `target`
        itself included; a currency without a rate within the allowed age is left out."""
        ...

    def buyer_currency(self, *, session: Any, language: str) -> str:
        """The currency the buyer sees prices in (their choice, else a default)."""
        ...


class _IdentityRates:
    def rates_to(self, *, target: str) -> dict[str, Decimal]:
        return {target: Decimal(1)}

    def buyer_currency(self, *, session: Any, language: str) -> str:
        return "EUR"


_rates: PriceRates = _IdentityRates()


def price_rates_register(implementation: PriceRates) -> None:
    global _rates
    _rates = implementation


def price_rates() -> PriceRates:
    return _rates
