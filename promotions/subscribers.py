"""What promotions does when an order moves (registered by PromotionsConfig.ready; docs/adr/0041)."""

from __future__ import annotations

from orders.events import order_event_subscriber
from orders.models import OrderEvent
from promotions.services import order_redemptions_confirm, order_redemptions_release


@order_event_subscriber("order.payment_failed", "order.cancelled")
def redemptions_release(event: OrderEvent) -> None:
    """In the move's transaction: an order that will not be paid gives its uses back."""
    order_redemptions_release(order_id=event.order_id)


@order_event_subscriber("order.paid")
def redemptions_confirm(event: OrderEvent) -> None:
    order_redemptions_confirm(order_id=event.order_id)
