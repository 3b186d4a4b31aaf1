"""Discounts at checkout: an interface the promotions app registers, with "no discounts" as default.

Promotions come after orders in the dependency order (docs/adr/0094): PromotionsConfig.ready
registers its source here, as payouts registers commissions (orders.commission). Without it every
cart is priced without discounts and an order redeems nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.translation import gettext as _

from orders.errors import CartError
from orders.pricing import DiscountFn, PricedCart


@dataclass(frozen=True)
class CodeState:
    """The code a cart carries, as the cart, checkout and API show it: what it took off, or why
    it takes nothing now (expired meanwhile, items removed, …)."""

    code: str
    amount: int = 0
    problem: str = ""
    problem_code: str = ""


class DiscountSource(Protocol):
    def pricing(self, *, cart: Any) -> DiscountFn | None:
        """The discounts of this cart's promotions (its code, automatic ones), or None."""
        ...

    def redeem(self, *, order: Any, priced: PricedCart, cart: Any) -> None:
        """Count the order's use of each promotion it got, in the checkout's transaction; raise an
        ApplicationError (the checkout rolls back) when one can no longer be used."""
        ...

    def code_apply(self, *, cart: Any, code: str, currency: str | None = None, default_currency: str = "") -> None:
        """Put a code on the cart, or raise an ApplicationError saying why it cannot be used."""
        ...

    def code_remove(self, *, cart: Any) -> None: ...

    def code_state(self, *, cart: Any, priced: PricedCart | None) -> CodeState | None: ...


class _NoDiscounts:
    def pricing(self, *, cart: Any) -> DiscountFn | None:
        return None

    def redeem(self, *, order: Any, priced: PricedCart, cart: Any) -> None:
        return None

    def code_apply(self, *, cart: Any, code: str, currency: str | None = None, default_currency: str = "") -> None:
        raise CartError(_("Discount codes are not available."), code="coupon_unavailable",
                        fields={"code": [_("Discount codes are not available.")]})

    def code_remove(self, *, cart: Any) -> None:
        return None

    def code_state(self, *, cart: Any, priced: PricedCart | None) -> CodeState | None:
        return None


_source: DiscountSource = _NoDiscounts()


def discount_source_register(source: DiscountSource) -> None:
    global _source
    _source = source


def discounts_for_cart(*, cart: Any) -> DiscountFn | None:
    return _source.pricing(cart=cart) if cart is not None else None


def discounts_redeem(*, order: Any, priced: PricedCart, cart: Any) -> None:
    _source.redeem(order=order, priced=priced, cart=cart)


def discount_code_apply(*, cart: Any, code: str, currency: str | None = None, default_currency: str = "") -> None:
    _source.code_apply(cart=cart, code=code, currency=currency, default_currency=default_currency)


def discount_code_remove(*, cart: Any) -> None:
    _source.code_remove(cart=cart)


def discount_code_state(*, cart: Any, priced: PricedCart | None) -> CodeState | None:
    return _source.code_state(cart=cart, priced=priced) if cart is not None else None
