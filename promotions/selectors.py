"""Reads of promotions: the ones a cart may get, a buyer's uses, each side's own list."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q, QuerySet

from promotions.engine import Offer
from promotions.models import Promotion, Redemption

COUNTED = (Redemption.Status.HELD, Redemption.Status.REDEEMED)


def running_q(at: datetime) -> Q:
    return (Q(active=True) & (Q(starts_at__isnull=True) | Q(starts_at__lte=at))
            & (Q(ends_at__isnull=True) | Q(ends_at__gt=at)))


def promotions_for_cart(*, cart_id: int, vendor_ids: Iterable[int], at: datetime) -> list[Promotion]:
    """In one query: the automatic promotions running now for the cart's vendors (or all of them),
    and the cart's code whatever its state (the cart says why it no longer applies)."""
    automatic = Q(code="") & running_q(at) & (Q(vendor__isnull=True) | Q(vendor_id__in=list(vendor_ids)))
    return list(Promotion.objects.filter(automatic | Q(cart_coupons__cart_id=cart_id))
                .select_related("vendor").order_by("pk"))


def buyer_uses(*, promotion_id: int, buyer_id: int) -> int:
    return Redemption.objects.filter(promotion_id=promotion_id, buyer_id=buyer_id, status__in=COUNTED).count()


def offer_of(promotion: Promotion) -> Offer:
    return Offer(
        promotion_id=promotion.pk, label=promotion.label, kind=promotion.kind, funded_by=promotion.funded_by,
        percent_bp=promotion.percent_bp, amount=promotion.amount, currency=promotion.currency,
        min_order_amount=promotion.min_order_amount, owner_vendor_id=promotion.vendor_id,
        vendor_ids=frozenset(promotion.vendor_ids), category_ids=frozenset(promotion.category_ids),
        product_ids=frozenset(promotion.product_ids), automatic=promotion.is_automatic,
    )


def promotions_of_vendor(*, vendor_id: int) -> QuerySet[Promotion]:
    """A vendor's own sales and codes, newest first (never another vendor's, nor the platform's)."""
    return Promotion.objects.filter(vendor_id=vendor_id).order_by("-created_at", "-id")


def promotion_of_vendor(*, vendor_id: int, promotion_id: int) -> Promotion | None:
    return Promotion.objects.filter(vendor_id=vendor_id, pk=promotion_id).first()


def platform_promotions() -> QuerySet[Promotion]:
    return Promotion.objects.filter(vendor__isnull=True).order_by("-created_at", "-id")


def redemptions_of_order(*, order_id: int) -> QuerySet[Redemption]:
    return Redemption.objects.filter(order_id=order_id).select_related("promotion").order_by("pk")
