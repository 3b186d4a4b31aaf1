"""An order's events as a timeline in plain words: the buyer's public subset, the vendor's part, all for staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from common.money import format_money_localized
from orders.models import Order, OrderEvent, SubOrder


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    text: str
    kind: str
    # For staff and vendors: who did it, and why, as recorded.
    actor: str = ""
    reason: str = ""


def _buyer_text(event: OrderEvent, vendor: str) -> str:
    texts = {
        "order.placed": _("Order placed"),
        "order.paid": _("Payment received"),
        "order.payment_failed": _("Payment failed"),
        "order.cancelled": _("Order cancelled"),
        "order.refunded": _("Order refunded"),
        "order.partially_fulfilled": _("Part of your order has shipped"),
        "order.fulfilled": _("Everything has shipped"),
        "sub_order.partially_fulfilled": _("%(vendor)s shipped part of your items"),
        "sub_order.fulfilled": _("%(vendor)s shipped your items"),
        "sub_order.delivered": _("Your items from %(vendor)s were delivered"),
        "sub_order.cancelled": _("Your items from %(vendor)s were cancelled"),
        "sub_order.refunded": _("Your items from %(vendor)s were cancelled and refunded"),
    }
    if event.kind == "sub_order.refund":
        amount = format_money_localized(int(event.data.get("amount", 0)), str(event.data.get("currency", "")))
        return _("%(amount)s refunded for items from %(vendor)s") % {"amount": amount, "vendor": vendor}
    text = texts.get(event.kind)
    return text % {"vendor": vendor} if text is not None else ""


def _status_label(entity: str, status: str) -> str:
    choices = Order.Status if entity == "order" else SubOrder.Status
    return str(choices(status).label) if status in choices.values else status


def _staff_text(event: OrderEvent, vendor: str) -> str:
    entity = event.kind.split(".", 1)[0]
    if event.to_status and event.kind != "sub_order.refund":
        move = _("%(from)s → %(to)s") % {"from": _status_label(entity, event.from_status) or "—",
                                         "to": _status_label(entity, event.to_status)}
        return f"{vendor}: {move}" if vendor else _("Order: %(move)s") % {"move": move}
    return _buyer_text(event, vendor) or event.kind


def _actor(event: OrderEvent) -> str:
    kind = str(OrderEvent.ActorKind(event.actor_kind).label)
    email = getattr(event.actor, "email", "") if event.actor_id else ""
    return f"{kind} ({email})" if email else kind


def order_timeline(*, order_id: int, audience: str, sub_order_id: int | None = None) -> list[TimelineEntry]:
    """The events `audience` may see ("buyer", "vendor" or "staff"), oldest first. A vendor sees
    only its own part (`sub_order_id`), never the order's other parts."""
    events = OrderEvent.objects.filter(order_id=order_id).select_related("sub_order__vendor")
    if audience == OrderEvent.Audience.BUYER:
        events = events.filter(audience=OrderEvent.Audience.BUYER)
    elif audience == OrderEvent.Audience.VENDOR:
        events = events.filter(sub_order_id=sub_order_id, audience__in=[OrderEvent.Audience.BUYER,
                                                                         OrderEvent.Audience.VENDOR])
    if audience != OrderEvent.Audience.BUYER:
        events = events.select_related("actor")
    entries = []
    for event in events.order_by("created_at", "id"):
        vendor = event.sub_order.vendor.name if event.sub_order_id and event.sub_order else ""
        if audience == OrderEvent.Audience.BUYER:
            text = _buyer_text(event, vendor)
            if text:
                entries.append(TimelineEntry(event.created_at, text, event.kind))
            continue
        entries.append(TimelineEntry(event.created_at, _staff_text(event, vendor), event.kind,
                                     actor=_actor(event), reason=event.reason))
    return entries
