"""Checkout's guards against stock hoarding: unpaid orders per buyer, units a new account holds."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from orders.errors import NewBuyerQuantityLimit, UnpaidOrdersLimit
from orders.models import Order, OrderLine
from orders.pricing import PricedCart


def max_unpaid_orders() -> int:
    return int(getattr(settings, "ORDERS_MAX_UNPAID_PER_BUYER", 3))


def is_new_buyer(*, user: Any, now: datetime, has_paid: bool | None = None) -> bool:
    """A new account: joined less than `ORDERS_NEW_BUYER_HOURS` ago, or never paid for an order
    (`has_paid` when the caller already counted it; else one query)."""
    joined = getattr(user, "date_joined", None) or now
    if joined > now - timedelta(hours=int(getattr(settings, "ORDERS_NEW_BUYER_HOURS", 24))):
        return True
    if has_paid is None:
        has_paid = Order.objects.filter(buyer_id=user.pk, paid_at__isnull=False).exists()
    return not has_paid


def _checkout_limits_check(*, user: Any, priced: PricedCart, now: datetime) -> bool:
    """Refuse the checkout before anything is reserved when the buyer would hoard stock.

    Every buyer may have at most `ORDERS_MAX_UNPAID_PER_BUYER` orders awaiting payment (each holds
    its stock for the reservation time). A new account (joined less than `ORDERS_NEW_BUYER_HOURS`
    ago, or never paid) may also hold at most `ORDERS_NEW_BUYER_MAX_UNITS_PER_VARIANT` units of a
    variant and `ORDERS_NEW_BUYER_MAX_UNITS_PER_VENDOR` units of a vendor at once, this checkout
    and its other unpaid orders together. One query; a second only for a new account that already
    has unpaid orders. Returns whether the buyer is a new account (the velocity rules ask too).
    """
    counts = Order.objects.filter(buyer=user).aggregate(
        unpaid=Count("pk", filter=Q(status=Order.Status.PENDING_PAYMENT)),
        paid=Count("pk", filter=Q(paid_at__isnull=False)),
    )
    limit = max_unpaid_orders()
    if counts["unpaid"] >= limit:
        raise UnpaidOrdersLimit(
            _("You have %(count)s orders awaiting payment. Pay for one of them, or wait until its "
              "reservation ends, before placing another.") % {"count": counts["unpaid"]},
            extra={"limit": limit},
        )
    if not is_new_buyer(user=user, now=now, has_paid=bool(counts["paid"])):
        return False
    per_variant = int(getattr(settings, "ORDERS_NEW_BUYER_MAX_UNITS_PER_VARIANT", 10))
    per_vendor = int(getattr(settings, "ORDERS_NEW_BUYER_MAX_UNITS_PER_VENDOR", 30))
    variant_units: dict[tuple[int, int], int] = defaultdict(int)
    vendor_units: dict[int, int] = defaultdict(int)
    if counts["unpaid"]:
        # Variant ids are per vendor schema: a variant is (vendor, variant).
        held = (
            OrderLine.objects.filter(order__buyer=user, order__status=Order.Status.PENDING_PAYMENT,
                                     order__stock_released=False)
            .values("vendor_id", "variant_id").annotate(units=Sum("quantity"))
            .values_list("vendor_id", "variant_id", "units")
        )
        for vendor_id, variant_id, units in held:
            variant_units[(vendor_id, variant_id)] += units
            vendor_units[vendor_id] += units
    for group in priced.groups:
        for line in group.lines:
            variant_units[(group.vendor_id, line.source.variant_id)] += line.source.quantity
            vendor_units[group.vendor_id] += line.source.quantity
    for group in priced.groups:
        for line in group.lines:
            if variant_units[(group.vendor_id, line.source.variant_id)] > per_variant:
                message = _("New accounts can hold at most %(limit)s of one item at a time: %(name)s.") % {
                    "limit": per_variant, "name": line.source.name}
                raise NewBuyerQuantityLimit(message, fields={"items": [f"{line.source.sku}: {message}"]},
                                            extra={"limit": per_variant})
        if vendor_units[group.vendor_id] > per_vendor:
            message = _("New accounts can hold at most %(limit)s items of one shop at a time.") % {
                "limit": per_vendor}
            raise NewBuyerQuantityLimit(message, fields={"items": [message]}, extra={"limit": per_vendor})
    return True
