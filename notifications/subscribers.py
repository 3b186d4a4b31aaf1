"""What the apps below notifications tell it, and who hears: shipments and refunds to buyers.

Registered from NotificationsConfig.ready: order events after commit (docs/adr/0041) and the
claim refund rows (a `post_save` on a row that is itself the record of the event). Lower apps
import nothing of this app; webhook-borne events are in `notifications/webhook_handlers.py`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from common.hosts import platform_url
from disputes.models import ClaimRefund
from notifications.services import notify
from orders.events import order_event_subscriber
from orders.models import OrderEvent, SubOrder


@order_event_subscriber("sub_order.partially_fulfilled", "sub_order.fulfilled", on_commit=True)
def sub_order_shipped(event: OrderEvent) -> None:
    """The buyer hears that a vendor shipped, with the latest parcel's carrier and number and the
    carrier's tracking link (`tracking_url` of the tracking entry, from the carrier registry)."""
    if event.sub_order_id is None:
        return
    sub = SubOrder.objects.select_related("order__buyer", "vendor").filter(pk=event.sub_order_id).first()
    if sub is None:
        return
    parcels = [t for t in sub.tracking or [] if isinstance(t, dict)]
    latest = parcels[-1] if parcels else {}
    notify("order_shipped", recipient=sub.order.buyer, link=platform_url(f"/orders/{sub.order_id}/"),
           context={"order_number": sub.order.number, "vendor_name": sub.vendor.name,
                    "carrier": latest.get("carrier", ""), "tracking_number": latest.get("tracking_number", ""),
                    "tracking_url": latest.get("tracking_url", "")},
           dedupe_key=f"shipped:{sub.pk}:{latest.get('tracking_number') or event.pk}")


@order_event_subscriber("sub_order.delivered", on_commit=True)
def sub_order_delivered(event: OrderEvent) -> None:
    """The buyer hears that a vendor's part arrived (the carrier's delivered event or the vendor's
    hand-over), once per sub-order."""
    if event.sub_order_id is None:
        return
    sub = SubOrder.objects.select_related("order__buyer", "vendor").filter(pk=event.sub_order_id).first()
    if sub is None:
        return
    notify("order_delivered", recipient=sub.order.buyer, link=platform_url(f"/orders/{sub.order_id}/"),
           context={"order_number": sub.order.number, "vendor_name": sub.vendor.name},
           dedupe_key=f"delivered:{sub.pk}")


@order_event_subscriber("sub_order.refund", on_commit=True)
def sub_order_refunded(event: OrderEvent) -> None:
    """Units the vendor (or the buyer) cancelled were refunded."""
    if event.sub_order_id is None or not event.data.get("amount"):
        return
    sub = SubOrder.objects.select_related("order__buyer").filter(pk=event.sub_order_id).first()
    if sub is None:
        return
    _refund_notify(order=sub.order, amount=int(event.data["amount"]),
                   currency=str(event.data.get("currency") or sub.order.currency),
                   key=str(event.data.get("refund_id") or f"event-{event.pk}"))


@receiver(post_save, sender=ClaimRefund, dispatch_uid="notifications.claim_refund_created")
def claim_refund_created(sender: Any, instance: ClaimRefund, created: bool, **kwargs: Any) -> None:
    if not created or kwargs.get("raw"):
        return
    refund_id = instance.pk

    def later() -> None:
        refund = ClaimRefund.objects.select_related("claim__order__buyer").filter(pk=refund_id).first()
        if refund is not None:
            _refund_notify(order=refund.claim.order, amount=refund.amount, currency=refund.currency,
                           key=refund.stripe_refund_id)

    transaction.on_commit(later)


def _refund_notify(*, order: Any, amount: int, currency: str, key: str) -> None:
    notify("refund_issued", recipient=order.buyer, link=platform_url(f"/orders/{order.pk}/"),
           context={"order_number": order.number, "amount": amount, "currency": currency},
           dedupe_key=f"refund:{key}")
