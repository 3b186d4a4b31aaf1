"""The order confirmation email: sent once whatever the deliveries, and queued again when lost."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from orders import services
from orders.models import Order
from orders.tasks import orders_confirmations_requeue
from tests.factories.orders import OrderFactory, sellable_variant
from tests.support.waiting import wait_until


def _paid(vendor: Any, *, minutes_ago: float, status: str = Order.Status.PAID) -> Order:
    order = OrderFactory(items=[(vendor, sellable_variant(vendor, price=1200, stock=5), 1)], status=status)
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
    return order


@pytest.mark.django_db
def test_a_second_delivery_sends_nothing_and_the_sending_is_recorded(vendor_a: Any) -> None:
    order = _paid(vendor_a, minutes_ago=1)
    mail.outbox.clear()

    assert services.order_confirmation_send(order_id=order.pk) is True
    assert services.order_confirmation_send(order_id=order.pk) is False

    assert [m.to for m in mail.outbox] == [[order.email]]
    event = order.events.get(kind="order.confirmation_sent")
    assert (event.audience, event.data) == ("staff", {"to": order.email})


@pytest.mark.django_db
def test_the_sweep_finds_paid_orders_whose_confirmation_was_lost(vendor_a: Any) -> None:
    lost = _paid(vendor_a, minutes_ago=20)
    sent = _paid(vendor_a, minutes_ago=20)
    services.order_confirmation_send(order_id=sent.pk)
    just_paid = _paid(vendor_a, minutes_ago=2)  # its task is probably still on its way
    too_old = _paid(vendor_a, minutes_ago=2 * 24 * 60)
    unpaid = OrderFactory(items=[(vendor_a, sellable_variant(vendor_a, price=900, stock=5), 1)],
                          status=Order.Status.PENDING_PAYMENT)

    found = services.orders_confirmation_unsent()

    assert lost.pk in found
    assert not {sent.pk, just_paid.pk, too_old.pk, unpaid.pk} & set(found)


def test_the_beat_task_gets_the_lost_confirmation_sent_by_the_worker(task_worker: Any, vendor_a: Any) -> None:
    order = _paid(vendor_a, minutes_ago=30)
    mail.outbox.clear()

    assert orders_confirmations_requeue() == 1
    # The worker's thread records the event and hands the mail over in its own order: wait for both.
    buyers_mail = lambda: [m.to for m in mail.outbox if order.email in m.to]  # noqa: E731
    wait_until(lambda: order.events.filter(kind="order.confirmation_sent").exists() and buyers_mail(),
               timeout=30, message="(the confirmation sent by the worker)")
    # The worker may also deliver the vendor's new-order notice of the same payment: count the buyer's.
    assert buyers_mail() == [[order.email]]
    assert orders_confirmations_requeue() == 0
