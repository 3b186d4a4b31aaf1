"""Reads of buyers' orders: always scoped to the buyer (another buyer's order is a 404)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from orders.errors import OrderNotFound
from orders.models import Order, OrderLine, SubOrder


def orders_for_buyer(*, user: Any) -> QuerySet[Order]:
    return Order.objects.filter(buyer=user).prefetch_related(
        Prefetch("sub_orders", queryset=SubOrder.objects.select_related("vendor"))
    ).order_by("-created_at", "-id")


def order_for_buyer(*, user: Any, order_id: Any) -> Order:
    try:
        return Order.objects.prefetch_related(
            Prefetch("sub_orders", queryset=SubOrder.objects.select_related("vendor").prefetch_related(
                Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
            ))
        ).get(buyer=user, pk=int(order_id))
    except (Order.DoesNotExist, TypeError, ValueError):
        raise OrderNotFound(_("Order not found.")) from None
