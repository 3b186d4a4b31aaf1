"""Order and sub-order transition tables, walked completely; every move records one event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from orders.errors import OrderStateConflict
from orders.events import (
    ORDER_TRANSITIONS,
    SUB_ORDER_TRANSITIONS,
    actor_of,
    order_event_record,
    order_event_subscriber,
    order_move,
    sub_order_move,
    sub_orders_move,
    subscribers_for,
)
from orders.models import Order, OrderEvent, SubOrder

pytestmark = pytest.mark.django_db


def _order(buyer: Any, vendor: Any, status: str = Order.Status.PENDING_PAYMENT,
           sub_status: str = SubOrder.Status.PENDING_PAYMENT) -> Order:
    """The smallest consistent order with one vendor part (amounts satisfy every constraint)."""
    order = Order.objects.create(
        buyer=buyer, email=buyer.email, status=status, currency="EUR", tax_display="inclusive",
        subtotal_amount=1000, shipping_amount=0, tax_amount=0, total_amount=1000, commission_amount=100,
        checkout_token=f"t{Order.objects.count()}", reserved_until=timezone.now() + timedelta(minutes=15),
        ship_name="B", ship_line1="L", ship_city="C", ship_postal_code="1", ship_country="DE",
    )
    SubOrder.objects.create(order=order, vendor=vendor, status=sub_status, shipping_name="Standard",
                            shipping_amount=0, subtotal_amount=1000, tax_amount=0, total_amount=1000,
                            commission_amount=100, net_amount=900)
    return order


@pytest.mark.parametrize("source", list(Order.Status.values))
def test_order_table_every_pair(source: str, buyer: Any, vendor_a: Any) -> None:
    for target in Order.Status.values:
        if target == source:
            continue
        order = _order(buyer, vendor_a, status=source)
        if target in ORDER_TRANSITIONS[source]:
            event = order_move(order=order, to=target, actor=actor_of(buyer, "buyer"), reason="walk")
            assert event is not None
            order.refresh_from_db()
            assert order.status == target
            assert (event.kind, event.from_status, event.to_status, event.actor_id, event.actor_kind) == (
                f"order.{target}", source, target, buyer.pk, "buyer")
            assert OrderEvent.objects.filter(order=order).count() == 1
        else:
            with pytest.raises(OrderStateConflict):
                order_move(order=order, to=target)
            order.refresh_from_db()
            assert order.status == source
            assert not OrderEvent.objects.filter(order=order).exists()


@pytest.mark.parametrize("source", list(SubOrder.Status.values))
def test_sub_order_table_every_pair(source: str, buyer: Any, vendor_a: Any) -> None:
    for target in SubOrder.Status.values:
        if target == source:
            continue
        sub = _order(buyer, vendor_a, sub_status=source).sub_orders.get()
        if target in SUB_ORDER_TRANSITIONS[source]:
            event = sub_order_move(sub_order=sub, to=target)
            assert event is not None and (event.from_status, event.to_status, event.sub_order_id) == (
                source, target, sub.pk)
            sub.refresh_from_db()
            assert sub.status == target
        else:
            with pytest.raises(OrderStateConflict):
                sub_order_move(sub_order=sub, to=target)
            sub.refresh_from_db()
            assert sub.status == source
            assert not OrderEvent.objects.filter(sub_order=sub).exists()


def test_every_status_has_a_row_in_its_table() -> None:
    assert set(ORDER_TRANSITIONS) == set(Order.Status.values)
    assert set(SUB_ORDER_TRANSITIONS) == set(SubOrder.Status.values)


def test_staying_put_is_no_move_and_records_nothing(buyer: Any, vendor_a: Any) -> None:
    order = _order(buyer, vendor_a, status=Order.Status.PAID, sub_status=SubOrder.Status.PAID)
    assert order_move(order=order, to=Order.Status.PAID) is None
    assert sub_orders_move(order=order, to=SubOrder.Status.PAID) == []
    assert not OrderEvent.objects.filter(order=order).exists()


def test_sub_orders_move_refuses_all_when_one_part_may_not_move(buyer: Any, vendor_a: Any, vendor_b: Any) -> None:
    order = _order(buyer, vendor_a)
    SubOrder.objects.create(order=order, vendor=vendor_b, status=SubOrder.Status.FULFILLED, shipping_name="S",
                            shipping_amount=0, subtotal_amount=1, tax_amount=0, total_amount=1,
                            commission_amount=0, net_amount=1)
    with pytest.raises(OrderStateConflict):
        sub_orders_move(order=order, to=SubOrder.Status.CANCELLED)
    assert set(order.sub_orders.values_list("status", flat=True)) == {"pending_payment", "fulfilled"}


def test_subscribers_hear_their_kind_in_the_transaction_or_after_commit(
    buyer: Any, vendor_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    heard: list[tuple[str, str]] = []

    def now(event: OrderEvent) -> None:
        heard.append(("now", event.kind))

    def later(event: OrderEvent) -> None:
        heard.append(("later", event.kind))

    order_event_subscriber("test.kind")(now)
    order_event_subscriber("test.kind", on_commit=True)(later)
    order_event_subscriber("test.kind")(now)  # registering twice is a no-op
    try:
        order = _order(buyer, vendor_a)
        with django_capture_on_commit_callbacks(execute=True):
            order_event_record(order_id=order.pk, kind="test.kind")
            assert heard == [("now", "test.kind")]
        assert heard == [("now", "test.kind"), ("later", "test.kind")]
    finally:
        from orders import events

        events._SUBSCRIBERS.pop("test.kind", None)
    assert subscribers_for("test.kind") == []


def test_higher_apps_subscribe_at_startup() -> None:
    """payouts posts the captured payment in the move's transaction; fulfilment copies and notifications tell after commit."""
    paid = {(fn.__module__, later) for fn, later in subscribers_for("order.paid")}
    assert ("payouts.order_subscribers", False) in paid
    assert ("fulfillment.order_subscribers", True) in paid
    # The ledger records a refund in its transaction; the buyer is told, the Stripe Tax transaction
    # reversed (orders.tax_transactions) and the refund counted by analytics only once it committed.
    assert {(fn.__module__, later) for fn, later in subscribers_for("sub_order.refund")} == {
        ("payouts.order_subscribers", False), ("notifications.subscribers", True),
        ("orders.tax_transactions", True), ("analytics.subscribers", True)}


@pytest.mark.parametrize("kind", ["order.paid", "sub_order.refund"])
def test_money_events_without_a_recorder_in_the_transaction_are_refused(
    kind: str, buyer: Any, vendor_a: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process where nothing records the money (payouts not registered) fails loudly: the move
    is refused and rolls back, instead of a paid order without its ledger entry."""
    from django.core.exceptions import ImproperlyConfigured
    from django.db import transaction

    from orders import events

    only_later = {k: [(fn, True) for fn, _later in v] for k, v in events._SUBSCRIBERS.items()}
    monkeypatch.setattr(events, "_SUBSCRIBERS", only_later)
    order = _order(buyer, vendor_a, status=Order.Status.PAID, sub_status=SubOrder.Status.PAID)
    if kind == "order.paid":
        order = _order(buyer, vendor_a)
    with pytest.raises(ImproperlyConfigured, match=kind), transaction.atomic():
        if kind == "order.paid":
            order_move(order=order, to=Order.Status.PAID)
        else:
            order_event_record(order_id=order.pk, sub_order_id=order.sub_orders.get().pk, kind=kind)
    order.refresh_from_db()
    assert not OrderEvent.objects.filter(order=order).exists()
    assert order.status == (Order.Status.PENDING_PAYMENT if kind == "order.paid" else Order.Status.PAID)


def test_order_move_saves_the_callers_fields_even_without_a_move(buyer: Any, vendor_a: Any) -> None:
    order = _order(buyer, vendor_a, status=Order.Status.PAID, sub_status=SubOrder.Status.PAID)
    order.failure_code = "kept"
    assert order_move(order=order, to=Order.Status.PAID, fields=["failure_code"]) is None
    order.refresh_from_db()
    assert order.failure_code == "kept"
