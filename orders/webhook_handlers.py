"""Appliers of payment events for orders (registered with payments' webhook registry)."""

from __future__ import annotations

from payments.models import WebhookEvent
from payments.webhooks import webhook_handler


@webhook_handler("payment_intent.succeeded")
def payment_intent_succeeded(event: WebhookEvent) -> None:
    from orders.services import order_payment_succeeded

    if event.payload.get("account"):
        return  # a connected account's own payment, not a marketplace order
    order_payment_succeeded(intent_data=event.data_object, event_id=event.stripe_id)


@webhook_handler("payment_intent.payment_failed")
def payment_intent_payment_failed(event: WebhookEvent) -> None:
    from orders.services import order_payment_failed

    if event.payload.get("account"):
        return
    order_payment_failed(intent_data=event.data_object)


@webhook_handler("payment_intent.canceled")
def payment_intent_canceled(event: WebhookEvent) -> None:
    from orders.services import order_payment_canceled

    if event.payload.get("account"):
        return
    order_payment_canceled(intent_data=event.data_object)
