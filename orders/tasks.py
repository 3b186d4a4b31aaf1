"""Background work of orders: reservation expiry (beat), confirmation emails, vendor state sync."""

from __future__ import annotations

from celery import shared_task

from orders import services


@shared_task
def orders_expire_reservations() -> int:
    return services.orders_expire_due()


@shared_task(bind=True, max_retries=5, acks_late=True)
def order_confirmation_send(self, order_id: int) -> bool:  # type: ignore[no-untyped-def]
    return services.order_confirmation_send(order_id=order_id)


@shared_task(bind=True, max_retries=8, acks_late=True, default_retry_delay=5)
def sub_order_sync(self, sub_order_id: int) -> str:  # type: ignore[no-untyped-def]
    sub = services.sub_order_sync(sub_order_id=sub_order_id)
    return sub.status if sub is not None else "missing"
