"""The discounts orders asks for (orders.discounts), answered from the promotions tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from orders.discounts import CodeState
from orders.pricing import DiscountFn, LineDiscount, LineInput, PricedCart
from promotions import engine
from promotions.checks import coupon_problem
from promotions.models import Promotion
from promotions.selectors import offer_of, promotions_for_cart

# Where one pricing leaves what it found about the cart's code, so the cart page shows it
# without asking the database again.
_STATE = "_promotions_code_state"


@dataclass
class _Found:
    coupon: Promotion | None = None
    problem: tuple[str, str] | None = None
    offers: list[engine.Offer] = field(default_factory=list)


class PromotionDiscounts:
    def pricing(self, *, cart: Any) -> DiscountFn | None:
        def discounts(lines: list[LineInput], currency: str) -> dict[str, list[LineDiscount]]:
            at = timezone.now()
            found = _Found()
            for promotion in promotions_for_cart(cart_id=cart.pk, vendor_ids={line.vendor_id for line in lines},
                                                 at=at):
                if promotion.code:
                    found.coupon = promotion
                    found.problem = coupon_problem(promotion, buyer=cart.user, lines=lines, currency=currency, at=at)
                    if found.problem is None:
                        found.offers.append(offer_of(promotion))
                elif (promotion.max_uses is None or promotion.uses_count < promotion.max_uses):
                    found.offers.append(offer_of(promotion))
            setattr(cart, _STATE, found)
            return engine.cart_discounts(found.offers, lines, currency)

        return discounts

    def redeem(self, *, order: Any, priced: PricedCart, cart: Any) -> None:
        from promotions.services import order_promotions_redeem

        order_promotions_redeem(order=order, priced=priced, cart=cart)

    def code_apply(self, *, cart: Any, code: str, currency: str | None = None, default_currency: str = "") -> None:
        from promotions.services import cart_code_apply

        cart_code_apply(cart=cart, code=code, currency=currency, default_currency=default_currency)

    def code_remove(self, *, cart: Any) -> None:
        from promotions.services import cart_code_remove

        cart_code_remove(cart=cart)

    def code_state(self, *, cart: Any, priced: PricedCart | None) -> CodeState | None:
        found: _Found | None = getattr(cart, _STATE, None)
        if found is None or found.coupon is None or priced is None:
            return None
        coupon = found.coupon
        amount = sum(discount.amount for group in priced.groups for line in group.lines
                     for discount in line.discounts if discount.promotion_id == coupon.pk)
        code, message = found.problem or ("", "")
        return CodeState(code=coupon.code, amount=amount, problem=message, problem_code=code)
