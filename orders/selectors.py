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


def _order_with_parts() -> QuerySet[Order]:
    return Order.objects.prefetch_related(
        Prefetch("sub_orders", queryset=SubOrder.objects.select_related("vendor").prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
        ))
    )


def order_for_buyer(*, user: Any, order_id: Any) -> Order:
    try:
        return _order_with_parts().get(buyer=user, pk=int(order_id))
    except (Order.DoesNotExist, TypeError, ValueError):
        raise OrderNotFound(_("Order not found.")) from None


def order_for_guest(*, order_id: Any, allowed_ids: Any) -> Order:
    """A guest order that this visitor placed (`allowed_ids`: the ids their session holds).

    Only while its buyer is still a guest: once claimed, the order is the account's alone."""
    try:
        order_pk = int(order_id)
        if order_pk not in {int(pk) for pk in allowed_ids or ()}:
            raise Order.DoesNotExist
        return _order_with_parts().select_related("buyer").get(pk=order_pk, buyer__is_guest=True)
    except (Order.DoesNotExist, TypeError, ValueError):
        raise OrderNotFound(_("Order not found.")) from None


def guest_orders_elsewhere(*, buyer_id: int, allowed_ids: Any) -> bool:
    """Whether this guest buyer has orders that were not placed in this session (`allowed_ids`)."""
    return Order.objects.filter(buyer_id=buyer_id).exclude(pk__in=[int(pk) for pk in allowed_ids or ()]).exists()
