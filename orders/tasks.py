"""Background work of orders: reservation expiry (beat), confirmation emails, vendor state sync."""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.db import InterfaceError, OperationalError

from orders import services, tax_transactions
from payments.errors import GatewayUnavailable


@shared_task
def orders_expire_reservations() -> int:
    return services.orders_expire_due()


# Retried only when nothing can have been sent: the database failed (before the message is built)
# or the mail server refused the connection. A timeout or a disconnection may come after the
# server accepted the message, so it is not retried (the buyer would get the email twice); nor are
# a refused recipient or a bad template.
@shared_task(
    autoretry_for=(OperationalError, InterfaceError, smtplib.SMTPConnectError, ConnectionRefusedError),
    retry_backoff=10, retry_backoff_max=600, retry_jitter=True, max_retries=5, acks_late=True,
)
def order_confirmation_send(order_id: int) -> bool:
    return services.order_confirmation_send(order_id=order_id)


# Copies the vendor's current state, so a retry after a lost connection or a deadlock is harmless.
@shared_task(
    autoretry_for=(OperationalError, InterfaceError), retry_backoff=5, retry_backoff_max=300,
    retry_jitter=True, max_retries=8, acks_late=True,
)
def sub_order_sync(sub_order_id: int) -> str:
    sub = services.sub_order_sync(sub_order_id=sub_order_id)
    return sub.status if sub is not None else "missing"


@shared_task
def orders_confirmations_requeue() -> int:
    """Beat: queue again the confirmation of every paid order that has none recorded."""
    ids = services.orders_confirmation_unsent()
    for order_id in ids:
        order_confirmation_send.delay(order_id)
    return len(ids)


# Hourly: the ECB publishes once a working day around 16:00 CET; a day already stored adds nothing.
@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=60, max_retries=5)
def exchange_rates_refresh() -> int:
    from orders.currency import rates_refresh

    return rates_refresh()


# Both are idempotent (a key per order or refund): a retry after Stripe did not answer is harmless.
@shared_task(
    autoretry_for=(OperationalError, InterfaceError, GatewayUnavailable), retry_backoff=30, retry_backoff_max=3600,
    retry_jitter=True, max_retries=8, acks_late=True,
)
def order_tax_transaction_record_task(order_id: int) -> str:
    return tax_transactions.order_tax_transaction_record(order_id=order_id)


@shared_task(
    autoretry_for=(OperationalError, InterfaceError, GatewayUnavailable), retry_backoff=30, retry_backoff_max=3600,
    retry_jitter=True, max_retries=8, acks_late=True,
)
def order_tax_transaction_reverse_task(order_id: int, refund_id: str, amount: int) -> str:
    return tax_transactions.order_tax_transaction_reverse(order_id=order_id, refund_id=refund_id, amount=amount)
