"""Errors of promotions (stable codes for the API and the pages)."""

from __future__ import annotations

from common.exceptions import ApplicationError, Conflict, NotFound


class CouponInvalid(ApplicationError):
    """A code the buyer cannot use: unknown, not running, used up, not for these items…
    (`code` says which)."""

    code = "coupon_invalid"  # 400 on the API, with the reason as `code`


class CouponExhausted(Conflict):
    """Used up between the cart and the checkout: the checkout is refused whole."""

    code = "coupon_exhausted"


class PromotionInvalid(ApplicationError):
    code = "promotion_invalid"


class PromotionNotFound(NotFound):
    code = "promotion_not_found"
