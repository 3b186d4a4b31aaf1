"""Background work of orders: reservation expiry (beat), confirmation emails, vendor state sync."""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.db import InterfaceError, OperationalError

from orders import services


@shared_task
def orders_expire_reservations() -> int:
    return services.orders_expire_due()


# Retried when the database or the mail server could not be reached, that is before the message
# was accepted; a refused recipient or a bad template is not retried.
@shared_task(
    autoretry_for=(OperationalError, InterfaceError, smtplib.SMTPConnectError,
                   smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError),
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
