"""Why a promotion cannot be used now by this buyer on these items: one (code, message) each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from common.money import format_money_localized
from orders.pricing import LineInput
from promotions import engine
from promotions.models import Promotion
from promotions.selectors import buyer_uses, offer_of


def coupon_problem(promotion: Promotion, *, buyer: Any, lines: list[LineInput], currency: str,
                   at: datetime) -> tuple[str, str] | None:
    """None when the code gives a discount on `lines`; else (stable code, the buyer's message)."""
    if promotion.starts_at is not None and at < promotion.starts_at and promotion.active:
        return "coupon_not_started", _("This code is valid from %(date)s.") % {
            "date": date_format(promotion.starts_at, "DATE_FORMAT")}
    if not promotion.running(at):
        return "coupon_expired", _("This code has expired.")
    if promotion.max_uses is not None and promotion.uses_count >= promotion.max_uses:
        return "coupon_exhausted", _("This code has been used up.")
    if (promotion.max_uses_per_buyer is not None and buyer is not None and getattr(buyer, "pk", None)
            and buyer_uses(promotion_id=promotion.pk, buyer_id=buyer.pk) >= promotion.max_uses_per_buyer):
        return "coupon_already_used", _("You have already used this code.")
    return _offer_problem(promotion, lines, currency)


def _offer_problem(promotion: Promotion, lines: list[LineInput], currency: str) -> tuple[str, str] | None:
    problem = engine.offer_problem(offer_of(promotion), lines, currency)
    if problem is None:
        return None
    messages = {
        engine.NOT_FOR_VENDOR: _("This code is for items sold by %(vendor)s only.") % {
            "vendor": promotion.vendor.name if promotion.vendor else ""},
        engine.NOT_FOR_ITEMS: _("This code does not apply to the items in your cart."),
        engine.WRONG_CURRENCY: _("This code is for orders paid in %(currency)s.") % {"currency": promotion.currency},
        engine.BELOW_MINIMUM: _("This code needs at least %(amount)s of the items it covers.") % {
            "amount": format_money_localized(promotion.min_order_amount, promotion.currency or currency)},
    }
    return problem, messages[problem]
