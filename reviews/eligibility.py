"""Who may review what: the one rule, as a check of a line and as the same filter for queries.

An item counts as received once its vendor's part of the order has shipped it or been delivered
(a carrier's delivered event or the vendor's hand-over): a buyer whose parcel has no tracking may
still review. Change both halves here and nowhere else.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from orders.models import OrderLine, SubOrder

SHIPPED_STATUSES = (SubOrder.Status.PARTIALLY_FULFILLED, SubOrder.Status.FULFILLED, SubOrder.Status.DELIVERED)


def line_received(line: OrderLine) -> bool:
    """The buyer has (at least part of) this line in hand."""
    return line.shipped_quantity > 0 and line.sub_order.status in SHIPPED_STATUSES


def received_lines_q() -> Q:
    """`line_received` as a filter on OrderLine."""
    return Q(shipped_quantity__gt=0, sub_order__status__in=SHIPPED_STATUSES)


def line_reviewable_by(line: OrderLine, user: Any) -> bool:
    return bool(user and user.is_authenticated and line.order.buyer_id == user.pk and line_received(line))
