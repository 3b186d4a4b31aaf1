"""What the apps below analytics tell it: purchases (an order paid) and refunds (a part of an
order refunded, a claim refund), recorded after their transaction commits."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from analytics.services import purchase_record, refund_record
from disputes.models import ClaimRefund
from orders.events import order_event_subscriber
from orders.models import OrderEvent, SubOrder


@order_event_subscriber("order.paid", on_commit=True)
def order_paid(event: OrderEvent) -> None:
    purchase_record(order_id=event.order_id)


@order_event_subscriber("sub_order.refund", on_commit=True)
def sub_order_refunded(event: OrderEvent) -> None:
    if event.sub_order_id is None or not event.data.get("amount"):
        return
    sub = SubOrder.objects.filter(pk=event.sub_order_id).values("vendor_id", "order__currency").first()
    if sub is None:
        return
    refund_record(vendor_id=sub["vendor_id"], order_id=event.order_id, amount=int(event.data["amount"]),
                  currency=str(event.data.get("currency") or sub["order__currency"]), at=event.created_at)


@receiver(post_save, sender=ClaimRefund, dispatch_uid="analytics.claim_refund_created")
def claim_refund_created(sender: Any, instance: ClaimRefund, created: bool, **kwargs: Any) -> None:
    if not created or kwargs.get("raw"):
        return
    refund_id = instance.pk

    def later() -> None:
        refund = ClaimRefund.objects.select_related("claim").filter(pk=refund_id).first()
        if refund is not None:
            refund_record(vendor_id=refund.claim.vendor_id, order_id=refund.claim.order_id,
                          amount=refund.amount, currency=refund.currency, at=refund.created_at)

    transaction.on_commit(later)
