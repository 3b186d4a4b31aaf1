"""What fulfilment does when an order event happens (registered by FulfillmentConfig.ready; docs/adr/0041)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from orders.events import order_event_subscriber
from orders.models import OrderEvent, SubOrder


@order_event_subscriber("order.paid", on_commit=True)
def vendor_copies_queue(event: OrderEvent) -> None:
    """After the payment commits: each vendor's copy of its part, made in its own schema by a task."""
    from fulfillment.tasks import vendor_order_copy

    for sub_order_id in SubOrder.objects.filter(order_id=event.order_id).values_list("pk", flat=True):
        vendor_order_copy.delay(sub_order_id)


@order_event_subscriber("sub_order.cancelled", "sub_order.refunded", on_commit=True)
def buyer_cancellation_notify(event: OrderEvent) -> None:
    """The buyer cancelled a vendor's part before it shipped: tell the vendor's team not to ship it."""
    if event.actor_kind != OrderEvent.ActorKind.BUYER or event.sub_order_id is None:
        return
    from common.mail import send_mail_localized
    from frontend.urls import vendor_url
    from fulfillment.tasks import vendor_team_emails

    sub = SubOrder.objects.select_related("vendor", "order").get(pk=event.sub_order_id)
    url = vendor_url(sub.vendor, f"/dashboard/orders/{sub.vendor_order_id}/")
    send_mail_localized(vendor_team_emails(sub.vendor), lambda: (
        _("Order %(number)s was cancelled by the buyer") % {"number": sub.order.number},
        _("The buyer cancelled your part of order %(number)s before it shipped. It has been refunded in full "
          "and the stock is back; do not ship it.") % {"number": sub.order.number} + f"\n\n{url}\n",
    ), fail_silently=True)
