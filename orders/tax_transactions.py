"""Stripe Tax transactions of paid orders: the checkout's calculation is recorded as a tax
transaction once the order is paid, and each refund reverses its part (docs/adr/0088).

Both run in tasks after the commit that paid or refunded the order (a Stripe outage never holds
up a payment webhook) and are idempotent: the gateway call carries a key derived from the order or
the refund, and the order keeps the transaction id once it is recorded. Orders taxed by the data
calculator have no calculation id and are skipped.
"""

from __future__ import annotations

import logging

from orders.events import order_event_subscriber
from orders.models import Order, OrderEvent

logger = logging.getLogger(__name__)


def order_tax_transaction_record(*, order_id: int) -> str:
    """The order's tax transaction id ("" when Stripe Tax did not price it or it is not paid)."""
    from payments import gateway

    order = Order.objects.filter(pk=order_id).only("pk", "paid_at", "tax_calculation_id", "tax_transaction_id").first()
    if order is None or not order.tax_calculation_id or order.paid_at is None:
        return ""
    if order.tax_transaction_id:
        return order.tax_transaction_id
    # Outside a row lock: a retry or a second worker gets the same transaction (the idempotency key).
    transaction_id = gateway.tax_transaction_create(calculation_id=order.tax_calculation_id,
                                                    reference=f"order-{order.pk}")
    Order.objects.filter(pk=order.pk, tax_transaction_id="").update(tax_transaction_id=transaction_id)
    return transaction_id


def order_tax_transaction_reverse(*, order_id: int, refund_id: str, amount: int) -> str:
    """Reverse `amount` (tax included) of the order's tax transaction for one refund; the whole
    transaction when the refund is the order's whole total. "" when there is nothing to reverse."""
    from payments import gateway

    order = Order.objects.filter(pk=order_id).only("pk", "total_amount", "tax_calculation_id", "paid_at").first()
    if order is None or not order.tax_calculation_id or amount <= 0:
        return ""
    transaction_id = order_tax_transaction_record(order_id=order.pk)
    if not transaction_id:
        return ""
    whole = amount >= order.total_amount
    return gateway.tax_transaction_reverse(transaction_id=transaction_id, reference=f"refund-{refund_id}",
                                           amount=None if whole else amount)


@order_event_subscriber("order.paid", on_commit=True)
def tax_transaction_queue(event: OrderEvent) -> None:
    if event.order.tax_calculation_id:
        from orders.tasks import order_tax_transaction_record_task

        order_tax_transaction_record_task.delay(event.order_id)


@order_event_subscriber("sub_order.refund", on_commit=True)
def tax_reversal_queue(event: OrderEvent) -> None:
    if Order.objects.filter(pk=event.order_id).exclude(tax_calculation_id="").exists():
        from orders.tasks import order_tax_transaction_reverse_task

        order_tax_transaction_reverse_task.delay(event.order_id, str(event.data["refund_id"]),
                                                 int(event.data["amount"]))
