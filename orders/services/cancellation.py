"""Orders that end unpaid (cancelled, expired, failed) and buyer cancellation of one vendor's part."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.mail import send_mail_localized
from orders.errors import (
    OrderNotFound,
    OrderStateConflict,
)
from orders.events import SYSTEM, Actor, actor_of, order_move, sub_orders_move
from orders.fulfillment_port import fulfilment
from orders.models import CartItem, Order, SubOrder
from orders.services.cart import MAX_QUANTITY, cart_for
from orders.services.reservations import _stock_release
from orders.services.sub_orders import sub_order_sync
from payments import gateway
from payments.errors import InvalidGatewayRequest, ResourceMissing


def _order_end_failed(*, order: Order, note: str, actor: Actor = SYSTEM) -> None:
    """A payment that failed for good: cancelled as a failed payment, the items back in the cart."""
    _order_cancel(order=order, note=note, status=Order.Status.PAYMENT_FAILED, actor=actor)
    _cart_restore(order=order)


def _order_cancel(*, order: Order, note: str, status: str = Order.Status.CANCELLED, actor: Actor = SYSTEM) -> None:
    order.cancelled_at = timezone.now()
    sub_orders_move(order=order, to=SubOrder.Status.CANCELLED, actor=actor, reason=note)
    order_move(order=order, to=status, actor=actor, reason=note, fields=["cancelled_at"])
    _stock_release(order=order, note=note)


def _cart_restore(*, order: Order) -> None:
    """Put the order's items back in the buyer's cart so trying again is one click."""
    cart = cart_for(user=order.buyer, create=True)
    assert cart is not None
    for line in order.lines.all():
        item, created = CartItem.objects.get_or_create(
            cart=cart, vendor_id=line.vendor_id, variant_id=line.variant_id,
            defaults={"product_id": line.product_id, "sku": line.sku, "name": line.name,
                      "quantity": line.quantity, "unit_price_amount": line.unit_price_amount,
                      "currency": order.currency},
        )
        if not created:
            CartItem.objects.filter(pk=item.pk).update(quantity=min(MAX_QUANTITY, item.quantity + line.quantity))


@transaction.atomic
def order_expire(*, order_id: int) -> bool:
    """Cancel an unpaid order whose reservation ran out: PaymentIntent cancelled, stock back."""
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None or order.status != Order.Status.PENDING_PAYMENT or order.reserved_until > timezone.now():
        return False
    if order.payment_intent_id:
        try:
            intent = gateway.payment_intent_retrieve(payment_intent_id=order.payment_intent_id)
            if intent.status in ("succeeded", "processing", "requires_capture"):
                return False  # paid at the last minute: the webhook marks it paid
            if intent.status != "canceled":
                gateway.payment_intent_cancel(payment_intent_id=order.payment_intent_id)
        except ResourceMissing:
            pass
        except InvalidGatewayRequest:
            intent = gateway.payment_intent_retrieve(payment_intent_id=order.payment_intent_id)
            if intent.status != "canceled":
                return False
    if order.failed_payment_attempts:
        # The buyer tried to pay and gave up after a decline: as when the attempts run out, the
        # order ends as a failed payment and the items wait in the cart.
        _order_end_failed(order=order, note="reservation expired after a failed payment")
        return True
    _order_cancel(order=order, note="reservation expired")
    return True


def orders_expire_due(*, now: datetime | None = None, limit: int = 500) -> int:
    due = list(
        Order.objects.filter(status=Order.Status.PENDING_PAYMENT, reserved_until__lte=now or timezone.now())
        .order_by("reserved_until").values_list("pk", flat=True)[:limit]
    )
    return sum(1 for order_id in due if order_expire(order_id=order_id))


@transaction.atomic
def sub_order_cancel_by_buyer(*, user: Any, order_id: Any, sub_order_id: Any) -> SubOrder:
    """The buyer cancels one vendor's part of a paid order before that vendor ships anything:
    everything of it is refunded (items, tax and shipping), the stock goes back, the vendor's
    transfer is reduced, and the vendor's team is told. Returns the synced public sub-order."""
    from orders.selectors import order_for_buyer

    order = order_for_buyer(user=user, order_id=order_id)
    found = next((s for s in order.sub_orders.all() if str(s.pk) == str(sub_order_id)), None)
    if found is None:
        raise OrderNotFound(_("Order not found."))
    # The row lock every refund of this vendor part takes first (claims, vendor cancellations):
    # a claim refund decided at the same moment waits, and this sees what it refunded.
    sub = SubOrder.objects.select_for_update(of=("self",)).select_related("vendor__store").get(pk=found.pk)
    if not order.is_paid or sub.status != SubOrder.Status.PAID:
        raise OrderStateConflict(_("This part of the order can no longer be cancelled."))
    store = sub.vendor.store
    if store is None:
        raise OrderStateConflict(_("This part of the order can no longer be cancelled."))
    # Fulfilment makes the vendor's copy if its task has not yet, and cancels and refunds every unit.
    fulfilment().cancel_all(sub_order=sub, user=user, by="buyer")
    # Recorded as the buyer's move (the sub-order's event says who cancelled it).
    synced = sub_order_sync(sub_order_id=sub.pk, actor=actor_of(user, "buyer"))
    assert synced is not None
    transaction.on_commit(lambda: _buyer_cancellation_notify(sub_order_id=sub.pk))
    return synced


def _buyer_cancellation_notify(*, sub_order_id: int) -> None:
    from common.hosts import vendor_url
    from vendors.selectors import Audience, vendor_audience_emails

    sub = SubOrder.objects.select_related("vendor", "order").get(pk=sub_order_id)
    url = vendor_url(sub.vendor, f"/dashboard/orders/{sub.vendor_order_id}/")
    recipients = vendor_audience_emails(vendor_id=sub.vendor_id, audience=Audience.ORDERS)
    send_mail_localized(recipients, lambda: (
        _("Order %(number)s was cancelled by the buyer") % {"number": sub.order.number},
        _("The buyer cancelled your part of order %(number)s before it shipped. It has been refunded in full "
          "and the stock is back; do not ship it.") % {"number": sub.order.number} + f"\n\n{url}\n",
    ), fail_silently=True)
