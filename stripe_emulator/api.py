"""Stripe's `/v1` REST API over the emulator's store: the resources composed behind one router."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import StripeError
from .resources import (
    accounts,
    balance,
    charges,
    customers,
    disputes,
    events,
    files,
    payment_intents,
    payouts,
    tax,
    transfers,
)
from .resources.accounts import AccountsResource
from .resources.balance import BalanceResource
from .resources.base import DEFAULT_API_VERSION, Context
from .resources.charges import ChargesResource
from .resources.events import EventsResource
from .resources.files import FilesResource
from .resources.payment_intents import PaymentIntentsResource
from .resources.payouts import PayoutsResource
from .resources.tax import TaxResource
from .resources.transfers import TransfersResource
from .state import Store
from .webhooks import WebhookDispatcher

__all__ = ["DEFAULT_API_VERSION", "Context", "Handler", "StripeApi"]

Handler = Callable[..., dict[str, Any]]

# Route tables in the order they are tried (patterns are anchored, so the order only decides
# which route answers first; no two routes match the same method and path).
_ROUTE_TABLES = (
    accounts.ROUTES,
    customers.ROUTES,
    payment_intents.ROUTES,
    charges.ROUTES,
    balance.ROUTES,
    transfers.ROUTES,
    payouts.ROUTES,
    disputes.ROUTES,
    events.ROUTES,
    files.ROUTES,
    tax.ROUTES,
)


class StripeApi(
    AccountsResource,
    PaymentIntentsResource,  # with customers, payment methods and disputes as its bases
    ChargesResource,
    BalanceResource,
    TransfersResource,
    PayoutsResource,
    EventsResource,
    FilesResource,
    TaxResource,
):
    """Every resource's handlers on one object, and the router from method and path to them."""

    def __init__(self, store: Store, dispatcher: WebhookDispatcher) -> None:
        super().__init__(store, dispatcher)
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = [
            (method, re.compile(pattern + r"/?\Z"), getattr(self, name))
            for table in _ROUTE_TABLES
            for method, pattern, name in table
        ]

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
        """The handler for a request; raises 404/405-like Stripe errors for unknown routes."""
        known_path = False
        for route_method, pattern, handler in self.routes:
            found = pattern.match(path)
            if found:
                known_path = True
                if route_method == method:
                    return handler, found.groupdict()
        if known_path:
            raise StripeError(
                405 if method not in ("GET", "POST", "DELETE") else 400,
                "invalid_request_error",
                f"Unrecognized request URL ({method}: {path}).",
            )
        return None
