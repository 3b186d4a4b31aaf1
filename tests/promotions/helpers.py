"""Promotions for tests, made through the services the pages use."""

from __future__ import annotations

from typing import Any

from promotions.models import Promotion
from promotions.services import PromotionInput, platform_promotion_create, vendor_promotion_create


def platform_coupon(code: str = "SAVE10", *, percent_bp: int = 0, amount: int = 0, **more: Any) -> Promotion:
    kind = Promotion.Kind.PERCENT if percent_bp else Promotion.Kind.FIXED
    currency = more.pop("currency", "EUR" if amount or more.get("min_order_amount") else "")
    return platform_promotion_create(user=None, data=PromotionInput(
        name=f"Coupon {code}", code=code, kind=kind, percent_bp=percent_bp, amount=amount, currency=currency,
        **more))


def vendor_promotion(vendor: Any, code: str = "", *, percent_bp: int = 0, amount: int = 0, **more: Any) -> Promotion:
    kind = Promotion.Kind.PERCENT if percent_bp else Promotion.Kind.FIXED
    currency = more.pop("currency", "EUR" if amount or more.get("min_order_amount") else "")
    return vendor_promotion_create(vendor=vendor, user=None, data=PromotionInput(
        name=f"Sale of {vendor.slug}", code=code, kind=kind, percent_bp=percent_bp, amount=amount,
        currency=currency, **more))
