"""What fulfilment does when an order event happens (registered by FulfillmentConfig.ready; docs/adr/0041)."""

from __future__ import annotations

from orders.events import order_event_subscriber
from orders.models import OrderEvent, SubOrder


@order_event_subscriber("order.paid", on_commit=True)
def vendor_copies_queue(event: OrderEvent) -> None:
    """After the payment commits: each vendor's copy of its part, made in its own schema by a task."""
    from fulfillment.tasks import vendor_order_copy

    for sub_order_id in SubOrder.objects.filter(order_id=event.order_id).values_list("pk", flat=True):
        vendor_order_copy.delay(sub_order_id)

