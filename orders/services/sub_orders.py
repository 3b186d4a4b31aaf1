"""After payment: the vendor's fulfilment state synced back onto the public sub-order and order."""

from __future__ import annotations

from django.db import transaction

from orders.events import SYSTEM, Actor, order_move, sub_order_move
from orders.fulfillment_port import fulfilment
from orders.models import Order, OrderLine, SubOrder
from vendors.row_security import platform_scope


@transaction.atomic
def sub_order_sync(*, sub_order_id: int, actor: Actor | None = None) -> SubOrder | None:
    """Copy the vendor's fulfilment state (lines, shipments, refunds) onto the public sub-order.

    A status move is recorded as `actor`'s, by default as made by whoever made the vendor copy's
    latest change (the vendor shipping, the buyer cancelling)."""
    sub = (SubOrder.objects.select_for_update(of=("self",)).select_related("vendor__store", "order")
           .filter(pk=sub_order_id).first())
    if sub is None or sub.vendor.store is None:
        return None
    state = fulfilment().state(sub_order=sub)
    if state is None:
        return sub
    refunded = state.refunded_amount
    for line in sub.lines.all():
        copy = state.lines.get(line.pk)
        if copy is None:
            continue
        OrderLine.objects.filter(pk=line.pk).update(
            shipped_quantity=copy.shipped_quantity, cancelled_quantity=copy.cancelled_quantity,
            refunded_amount=copy.refunded_amount,
        )
    totals = sub.lines.values_list("quantity", "shipped_quantity", "cancelled_quantity")
    quantity = sum(q for q, _s, _c in totals)
    shipped = sum(s for _q, s, _c in totals)
    cancelled = sum(c for _q, _s, c in totals)
    if cancelled >= quantity:
        status = SubOrder.Status.REFUNDED if refunded else SubOrder.Status.CANCELLED
    elif shipped + cancelled >= quantity:
        status = SubOrder.Status.DELIVERED if state.delivered_at else SubOrder.Status.FULFILLED
    elif shipped:
        status = SubOrder.Status.PARTIALLY_FULFILLED
    else:
        status = SubOrder.Status.PAID
    sub.tracking = state.tracking
    sub.refunded_amount = refunded
    sub.vendor_order_id = state.vendor_order_id
    sub.delivered_at = state.delivered_at if status == SubOrder.Status.DELIVERED else None
    actor = actor or Actor(state.actor_kind, state.actor_id)
    sub_order_move(sub_order=sub, to=status, actor=actor, reason=state.reason,
                   fields=["tracking", "refunded_amount", "vendor_order_id", "delivered_at"])
    _order_status_recompute(order=sub.order, actor=actor)
    return sub


def _order_status_recompute(*, order: Order, actor: Actor = SYSTEM) -> None:
    order = Order.objects.select_for_update().get(pk=order.pk)
    if not order.is_paid:
        return
    # The order's status is decided by every vendor's part, also when one vendor's request or
    # task (bound to it by row-level security, ADR 0047) moved its own part.
    with platform_scope():
        statuses = set(order.sub_orders.values_list("status", flat=True))
    done = {SubOrder.Status.FULFILLED, SubOrder.Status.DELIVERED, SubOrder.Status.CANCELLED, SubOrder.Status.REFUNDED}
    if statuses <= {SubOrder.Status.CANCELLED, SubOrder.Status.REFUNDED}:
        new = Order.Status.REFUNDED
    elif statuses <= done:
        new = Order.Status.FULFILLED
    elif statuses & {SubOrder.Status.FULFILLED, SubOrder.Status.DELIVERED, SubOrder.Status.PARTIALLY_FULFILLED}:
        new = Order.Status.PARTIALLY_FULFILLED
    else:
        new = Order.Status.PAID
    if new != order.status:
        order_move(order=order, to=new, actor=actor)
