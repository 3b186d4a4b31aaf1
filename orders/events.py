"""Order and sub-order status moves (one table each), the event row every move writes, and its subscribers.

Apps to the right of orders (fulfillment, payouts) hear about orders here instead of being
imported by them (docs/adr/0041): `@order_event_subscriber("order.paid")` in a module their
AppConfig.ready imports. A subscriber runs inside the move's transaction (`on_commit=False`: its
writes commit or roll back with the move, e.g. the ledger entry of a captured payment) or after
commit (`on_commit=True`: queueing tasks, sending mail), as the code it replaced did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.errors import OrderStateConflict
from orders.models import Order, OrderEvent, SubOrder

OS = Order.Status
SO = SubOrder.Status

# Every allowed move; `order_move` checks it and tests/orders/test_order_events.py walks it.
# A cancelled or failed order comes back to life only when its payment arrives late (stock taken
# again: paid; stock gone: refunded in full). Shipping progress is derived from the sub-orders.
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OS.PENDING_PAYMENT: frozenset({OS.PAID, OS.PAYMENT_FAILED, OS.CANCELLED}),
    OS.PAYMENT_FAILED: frozenset({OS.PAID, OS.REFUNDED}),
    OS.CANCELLED: frozenset({OS.PAID, OS.REFUNDED}),
    OS.PAID: frozenset({OS.PARTIALLY_FULFILLED, OS.FULFILLED, OS.REFUNDED}),
    OS.PARTIALLY_FULFILLED: frozenset({OS.FULFILLED}),
    OS.FULFILLED: frozenset(),
    OS.REFUNDED: frozenset(),
}
SUB_ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    SO.PENDING_PAYMENT: frozenset({SO.PAID, SO.CANCELLED}),
    SO.CANCELLED: frozenset({SO.PAID, SO.REFUNDED}),
    # The sync copies the vendor's state whenever it runs: a part shipped and delivered before
    # a sync ran moves straight to delivered.
    SO.PAID: frozenset({SO.PARTIALLY_FULFILLED, SO.FULFILLED, SO.DELIVERED, SO.CANCELLED, SO.REFUNDED}),
    SO.PARTIALLY_FULFILLED: frozenset({SO.FULFILLED, SO.DELIVERED}),
    SO.FULFILLED: frozenset({SO.DELIVERED}),
    SO.DELIVERED: frozenset(),
    SO.REFUNDED: frozenset(),
}

# Who sees which kind of event; anything not listed is for the vendor and staff. The buyer sees
# the steps of their order in plain words, never the vendor's internal ones.
_BUYER_KINDS = frozenset({
    "order.placed", "order.paid", "order.payment_failed", "order.cancelled", "order.refunded",
    "order.partially_fulfilled", "order.fulfilled",
    "sub_order.partially_fulfilled", "sub_order.fulfilled", "sub_order.delivered", "sub_order.cancelled", "sub_order.refunded",
    "sub_order.refund",
})


# The fraud review's steps are for staff only: why an order was held (risk, velocity) is not the
# vendor's or the buyer's to read; the vendor sees the hold itself on its copy.
_STAFF_KINDS = frozenset({"order.review_held", "order.review_approved", "order.review_refused",
                          "order.confirmation_sent", "support.refund"})


@dataclass(frozen=True)
class Actor:
    """Who made a move: a user (buyer, vendor member, staff) or the system or the payment provider."""

    kind: str = OrderEvent.ActorKind.SYSTEM
    user_id: int | None = None


SYSTEM = Actor()
WEBHOOK = Actor(OrderEvent.ActorKind.WEBHOOK)


def actor_of(user: Any, kind: str) -> Actor:
    """`kind` is one of OrderEvent.ActorKind; an anonymous or missing user records no user."""
    if kind not in OrderEvent.ActorKind.values:
        kind = OrderEvent.ActorKind.SYSTEM
    return Actor(kind, getattr(user, "pk", None))


Subscriber = Callable[[OrderEvent], None]
_SUBSCRIBERS: dict[str, list[tuple[Subscriber, bool]]] = {}


def order_event_subscriber(*kinds: str, on_commit: bool = False) -> Callable[[Subscriber], Subscriber]:
    """Register `fn(event)` for these event kinds (registering the same function twice is a no-op)."""
    if not kinds:
        raise ValueError("order_event_subscriber needs at least one event kind")

    def register(fn: Subscriber) -> Subscriber:
        for kind in kinds:
            entries = _SUBSCRIBERS.setdefault(kind, [])
            if (fn, on_commit) not in entries:
                entries.append((fn, on_commit))
        return fn

    return register


def subscribers_for(kind: str) -> list[tuple[Subscriber, bool]]:
    return list(_SUBSCRIBERS.get(kind, ()))


# Kinds that move money: a paid order and a refunded part must be recorded (the ledger) in the
# transaction that writes them. Without a subscriber in that transaction the move is refused, so
# a process whose higher apps did not register (a misconfiguration) fails loudly and loses
# nothing: the webhook apply rolls back and is retried, instead of a paid order without its entry.
RECORDED_IN_TRANSACTION = frozenset({"order.paid", "sub_order.refund"})


def _publish(event: OrderEvent) -> None:
    subscribers = subscribers_for(event.kind)
    if event.kind in RECORDED_IN_TRANSACTION and not any(not later for _fn, later in subscribers):
        raise ImproperlyConfigured(
            f"Nothing records {event.kind!r} in its transaction: no order event subscriber is "
            "registered for it (an app's AppConfig.ready registers them; is it installed?)."
        )
    for fn, later in subscribers:
        if later:
            transaction.on_commit(lambda fn=fn: fn(event))  # type: ignore[misc]
        else:
            fn(event)


def _event(*, order_id: int, sub_order_id: int | None, kind: str, from_status: str, to_status: str,
           actor: Actor, reason: str, data: dict[str, Any] | None) -> OrderEvent:
    return OrderEvent(
        order_id=order_id, sub_order_id=sub_order_id, kind=kind, from_status=from_status,
        to_status=to_status, actor_id=actor.user_id, actor_kind=actor.kind, reason=(reason or "")[:300],
        audience=(OrderEvent.Audience.BUYER if kind in _BUYER_KINDS
                  else OrderEvent.Audience.STAFF if kind in _STAFF_KINDS else OrderEvent.Audience.VENDOR),
        data=data or {},
    )


def order_events_record(events: list[OrderEvent]) -> list[OrderEvent]:
    """Write events (one INSERT) and tell their subscribers. Caller holds the transaction."""
    created = OrderEvent.objects.bulk_create(events)
    for event in created:
        _publish(event)
    return created


def order_event_record(
    *, order_id: int, sub_order_id: int | None = None, kind: str, actor: Actor = SYSTEM,
    reason: str = "", data: dict[str, Any] | None = None, from_status: str = "", to_status: str = "",
) -> OrderEvent:
    """An event that is not a status move (the order placed, a refund of part of it)."""
    return order_events_record([_event(
        order_id=order_id, sub_order_id=sub_order_id, kind=kind, from_status=from_status,
        to_status=to_status, actor=actor, reason=reason, data=data,
    )])[0]


def _check_move(current: str, to: str, *, sub_order: bool) -> None:
    """Refuse a move the transition table does not list (staying put is always allowed)."""
    table, labels = (SUB_ORDER_TRANSITIONS, SO) if sub_order else (ORDER_TRANSITIONS, OS)
    if to == current or to in table[current]:
        return
    message = (_("This part of the order is %(status)s; it cannot become %(to)s.") if sub_order
               else _("This order is %(status)s; it cannot become %(to)s."))
    raise OrderStateConflict(
        message % {"status": labels(current).label, "to": labels(to).label}, extra={"from": current, "to": to},
    )


@transaction.atomic
def order_move(
    *, order: Order, to: str, actor: Actor = SYSTEM, reason: str = "", data: dict[str, Any] | None = None,
    fields: Iterable[str] = (),
) -> OrderEvent | None:
    """Move the order to `to` (locked, checked against ORDER_TRANSITIONS, saved with `fields`
    too) and record it; staying in the same status is no move and records nothing."""
    current = Order.objects.select_for_update().values_list("status", flat=True).get(pk=order.pk)
    _check_move(current, to, sub_order=False)
    if to == current:
        # No move, but the caller's other fields are still saved (as sub_order_move does).
        if fields:
            order.save(update_fields=["updated_at", *fields])
        return None
    order.status = to
    order.save(update_fields=["status", "updated_at", *fields])
    return order_events_record([_event(
        order_id=order.pk, sub_order_id=None, kind=f"order.{to}", from_status=current, to_status=to,
        actor=actor, reason=reason, data=data,
    )])[0]


@transaction.atomic
def sub_orders_move(
    *, order: Order, to: str, actor: Actor = SYSTEM, reason: str = "", data: dict[str, Any] | None = None,
    sub_order_ids: Iterable[int] | None = None, values: dict[str, Any] | None = None,
) -> list[OrderEvent]:
    """Move every sub-order of `order` (or those of `sub_order_ids`) to `to` in one UPDATE, each
    checked against SUB_ORDER_TRANSITIONS, with one event each (one INSERT). `values` are more
    columns set by the same UPDATE (expressions allowed)."""
    query = SubOrder.objects.filter(order_id=order.pk)
    if sub_order_ids is not None:
        query = query.filter(pk__in=list(sub_order_ids))
    current = dict(query.select_for_update().order_by("pk").values_list("pk", "status"))
    for status in current.values():
        _check_move(status, to, sub_order=True)
    SubOrder.objects.filter(pk__in=list(current)).update(status=to, updated_at=timezone.now(), **(values or {}))
    return order_events_record([
        _event(order_id=order.pk, sub_order_id=pk, kind=f"sub_order.{to}", from_status=status, to_status=to,
               actor=actor, reason=reason, data=data)
        for pk, status in current.items() if status != to
    ])


@transaction.atomic
def sub_order_move(*, sub_order: SubOrder, to: str, actor: Actor = SYSTEM, reason: str = "",
                   data: dict[str, Any] | None = None, fields: Iterable[str] = ()) -> OrderEvent | None:
    """One sub-order to `to` (locked, checked, saved with `fields` too, recorded)."""
    current = SubOrder.objects.select_for_update().values_list("status", flat=True).get(pk=sub_order.pk)
    _check_move(current, to, sub_order=True)
    sub_order.status = to
    sub_order.save(update_fields=["status", "updated_at", *fields])
    if to == current:
        return None
    return order_events_record([_event(
        order_id=sub_order.order_id, sub_order_id=sub_order.pk, kind=f"sub_order.{to}", from_status=current,
        to_status=to, actor=actor, reason=reason, data=data,
    )])[0]
