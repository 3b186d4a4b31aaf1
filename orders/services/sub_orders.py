"""After payment: the vendor's fulfilment state synced back onto the public sub-order and order."""

from __future__ import annotations

from django.db import transaction
from django_tenants.utils import schema_context

from orders.models import Order, OrderLine, SubOrder


@transaction.atomic
def sub_order_sync(*, sub_order_id: int) -> SubOrder | None:
    """Copy the vendor's fulfilment state (lines, shipments, refunds) onto the public sub-order."""
    from fulfillment.models import VendorOrder

    sub = (SubOrder.objects.select_for_update(of=("self",)).select_related("vendor__store", "order")
           .filter(pk=sub_order_id).first())
    if sub is None or sub.vendor.store is None:
        return None
    with schema_context(sub.vendor.store.schema_name):
        vendor_order = VendorOrder.objects.prefetch_related("lines", "shipments").filter(sub_order_id=sub.pk).first()
        if vendor_order is None:
            return sub
        lines = {line.order_line_id: line for line in vendor_order.lines.all()}
        tracking = [
            {"carrier": s.carrier, "tracking_number": s.tracking_number, "shipped_at": s.shipped_at.isoformat()}
            for s in vendor_order.shipments.all()
        ]
        refunded = vendor_order.refunded_amount
    for line in sub.lines.all():
        copy = lines.get(line.pk)
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
        status = SubOrder.Status.FULFILLED
    elif shipped:
        status = SubOrder.Status.PARTIALLY_FULFILLED
    else:
        status = SubOrder.Status.PAID
    sub.status = status
    sub.tracking = tracking
    sub.refunded_amount = refunded
    sub.vendor_order_id = vendor_order.pk
    sub.save(update_fields=["status", "tracking", "refunded_amount", "vendor_order_id", "updated_at"])
    _order_status_recompute(order=sub.order)
    return sub


def _order_status_recompute(*, order: Order) -> None:
    order = Order.objects.select_for_update().get(pk=order.pk)
    if not order.is_paid:
        return
    statuses = set(order.sub_orders.values_list("status", flat=True))
    done = {SubOrder.Status.FULFILLED, SubOrder.Status.CANCELLED, SubOrder.Status.REFUNDED}
    if statuses <= {SubOrder.Status.CANCELLED, SubOrder.Status.REFUNDED}:
        new = Order.Status.REFUNDED
    elif statuses <= done:
        new = Order.Status.FULFILLED
    elif statuses & {SubOrder.Status.FULFILLED, SubOrder.Status.PARTIALLY_FULFILLED}:
        new = Order.Status.PARTIALLY_FULFILLED
    else:
        new = Order.Status.PAID
    if new != order.status:
        order.status = new
        order.save(update_fields=["status", "updated_at"])
