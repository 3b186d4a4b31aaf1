"""Discount arithmetic: which lines a promotion covers and how much comes off each, in minor units.

Pure functions over plain inputs (no database), property-tested (tests/promotions): every
promotion's discount is split over its lines so the parts sum exactly to it, no line ever goes
below zero however many promotions stack on it, and a line takes at most one automatic promotion
(the one giving the buyer most) plus the cart's code on what is left.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from common.money import allocate, percentage_of
from orders.pricing import LineDiscount, LineInput

PERCENT, FIXED = "percent", "fixed"


@dataclass(frozen=True)
class Offer:
    """A promotion as the arithmetic sees it."""

    promotion_id: int
    label: str
    kind: str
    funded_by: str
    percent_bp: int = 0
    amount: int = 0
    currency: str = ""
    min_order_amount: int = 0
    owner_vendor_id: int | None = None
    vendor_ids: frozenset[int] = field(default_factory=frozenset)
    category_ids: frozenset[int] = field(default_factory=frozenset)
    product_ids: frozenset[int] = field(default_factory=frozenset)
    automatic: bool = False

    def covers(self, line: LineInput) -> bool:
        if self.owner_vendor_id is not None and line.vendor_id != self.owner_vendor_id:
            return False
        if self.vendor_ids and line.vendor_id not in self.vendor_ids:
            return False
        if self.category_ids and line.category_id not in self.category_ids:
            return False
        return not self.product_ids or line.product_id in self.product_ids


# Why a code gives nothing on this cart (the buyer is told; the promotions' own states, such as
# expired or used up, are checked on the model).
NOT_FOR_VENDOR = "coupon_other_vendor"
NOT_FOR_ITEMS = "coupon_not_for_items"
WRONG_CURRENCY = "coupon_wrong_currency"
BELOW_MINIMUM = "coupon_below_minimum"


def offer_problem(offer: Offer, lines: list[LineInput], currency: str) -> str | None:
    """None when `offer` gives a discount on `lines` priced in `currency`, else why not."""
    if offer.owner_vendor_id is not None and all(line.vendor_id != offer.owner_vendor_id for line in lines):
        return NOT_FOR_VENDOR
    covered = [line for line in lines if offer.covers(line)]
    if not covered:
        return NOT_FOR_ITEMS
    if (offer.kind == FIXED or offer.min_order_amount) and offer.currency != currency:
        return WRONG_CURRENCY
    if sum(line.quantity * line.unit_price for line in covered) < offer.min_order_amount:
        return BELOW_MINIMUM
    return None


def offer_split(offer: Offer, lines: list[LineInput], left: dict[str, int]) -> dict[str, int]:
    """The discount of `offer` on the lines it covers, as {line key: amount}: the whole discount
    (a percentage of, or a fixed amount up to, what those lines still cost) split in proportion
    to what each still costs, so the parts sum to it exactly and none exceeds its line."""
    covered = [line for line in lines if offer.covers(line) and left.get(line.key, 0) > 0]
    if not covered:
        return {}
    base = sum(left[line.key] for line in covered)
    total = percentage_of(base, offer.percent_bp) if offer.kind == PERCENT else min(offer.amount, base)
    if total <= 0:
        return {}
    parts = allocate(total, [left[line.key] for line in covered])
    return {line.key: part for line, part in zip(covered, parts, strict=True) if part}


def cart_discounts(offers: list[Offer], lines: list[LineInput], currency: str) -> dict[str, list[LineDiscount]]:
    """Every line's discounts in the order they apply: the best automatic promotion first (each
    line takes one), then the codes, each on what the line still costs."""
    left = {line.key: line.quantity * line.unit_price for line in lines}
    result: dict[str, list[LineDiscount]] = {line.key: [] for line in lines}
    usable = [offer for offer in offers if offer_problem(offer, lines, currency) is None]
    automatic = sorted((offer for offer in usable if offer.automatic),
                       key=lambda offer: (-sum(offer_split(offer, lines, left).values()), offer.promotion_id))
    taken: set[str] = set()
    for offer in automatic:
        free = [line for line in lines if line.key not in taken]
        parts = offer_split(offer, free, left)
        _apply(offer, parts, left, result)
        taken |= set(parts)
    for offer in (offer for offer in usable if not offer.automatic):
        _apply(offer, offer_split(offer, lines, left), left, result)
    return {key: found for key, found in result.items() if found}


def _apply(offer: Offer, parts: dict[str, int], left: dict[str, int], result: dict[str, list[LineDiscount]]) -> None:
    for key, part in parts.items():
        left[key] -= part
        result[key].append(LineDiscount(offer.promotion_id, offer.label, part, offer.funded_by))
