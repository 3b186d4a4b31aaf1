"""Manual refunds from the support console: a whole order or one vendor's part, with a reason.

No new money path: an unshipped part is cancelled as a buyer cancellation is (every unit refunded,
stock back, the shipping too), through fulfilment; anything else is refunded through the gateway
and recorded as the `sub_order.refund` order event, which payouts turns into the ledger entry (in
this transaction) and the reversal of the vendor's transfer (after commit), as for a vendor's
cancellation. Each refund also writes one `support.refund` order event (staff only): who, why, how
much; that row is the audit record of the action.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from accounts.audit import audit_action
from common.money import format_money_localized
from disputes.services.amounts import line_charge
from disputes.services.policy import refund_commission_policy
from orders.events import actor_of, order_event_record
from orders.fulfillment_port import fulfilment
from orders.models import Order, OrderEvent, OrderLine, SubOrder
from orders.services import sub_order_sync
from payments import gateway
from support.errors import InvalidSupportRequest, RefundExceedsRemaining, RefundNotAllowed

AUDIT_KIND = "support.refund"
REASON_MAX = 300


@dataclass(frozen=True)
class PartRefund:
    sub_order_id: int
    amount: int
    mode: str  # "cancelled" (units cancelled, stock back) or "money" (an amount refunded)


def _clean_reason(reason: Any) -> str:
    text = " ".join(str(reason or "").split())[:REASON_MAX]
    if not text:
        raise InvalidSupportRequest(_("Give the reason for this refund."),
                                    fields={"reason": [_("This field is required.")]})
    return text


def _clean_amount(amount: Any) -> int | None:
    if amount in (None, ""):
        return None
    try:
        value = int(str(amount).strip())
    except (TypeError, ValueError):
        value = 0
    if value <= 0:
        raise InvalidSupportRequest(_("The amount is a whole number of cents above zero."),
                                    fields={"amount": [_("Enter a positive whole number of cents.")]})
    return value


def sub_order_refundable(sub: SubOrder) -> int:
    return max(sub.total_amount - sub.refunded_amount, 0)


def _part_locked(order: Order, sub_order_id: int) -> SubOrder:
    """The part's row lock (the one every refund of it takes first), then its state synced from
    the vendor's copy, so units cancelled a moment ago already count as refunded."""
    sub = SubOrder.objects.select_for_update(of=("self",)).filter(pk=sub_order_id, order_id=order.pk).first()
    if sub is None:
        raise InvalidSupportRequest(_("This part does not belong to the order."),
                                    fields={"sub_order": [_("Unknown part.")]})
    synced = sub_order_sync(sub_order_id=sub.pk)
    return synced if synced is not None else sub


@transaction.atomic
def order_refund_manual(*, order_id: int, actor: Any, reason: Any, sub_order_id: Any = None,
                        amount: Any = None) -> list[PartRefund]:
    """Refund what is left of the whole order (`sub_order_id` None) or of one part, `amount` cents
    of it or all that is left. Refused whole, changing nothing, when more than is left is asked."""
    text = _clean_reason(reason)
    wanted = _clean_amount(amount)
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None or not order.payment_intent_id or order.paid_at is None:
        raise RefundNotAllowed(_("This order was never paid; there is nothing to refund."))
    if sub_order_id in (None, ""):
        if wanted is not None:
            raise InvalidSupportRequest(_("A whole-order refund gives back all that is left; choose one "
                                          "vendor's part to refund an amount."), fields={"amount": [_("Leave empty.")]})
        part_ids = list(order.sub_orders.order_by("pk").values_list("pk", flat=True))
    else:
        try:
            part_ids = [int(sub_order_id)]
        except (TypeError, ValueError):
            raise InvalidSupportRequest(_("Unknown part."), fields={"sub_order": [_("Unknown part.")]}) from None
    parts = [_part_locked(order, pk) for pk in part_ids]
    left = sum(sub_order_refundable(sub) for sub in parts)
    if left <= 0:
        raise RefundNotAllowed(_("Everything paid for this has been refunded already."))
    if wanted is not None and wanted > left:
        raise RefundExceedsRemaining(
            _("At most %(left)s can still be refunded here.") % {"left": format_money_localized(left, order.currency)},
            fields={"amount": [_("More than what is left to refund.")]}, extra={"refundable": left},
        )
    done = []
    before = {sub.pk: sub.refunded_amount for sub in parts}
    for sub in parts:
        part_amount = sub_order_refundable(sub) if wanted is None else wanted
        if part_amount > 0:
            done.append(_part_refund(order, sub, amount=part_amount, reason=text, actor=actor))
    for refund in done:
        # One entry per vendor part: each vendor's log shows its own part, never another's.
        sub = next(part for part in parts if part.pk == refund.sub_order_id)
        audit_action(actor=actor, action="order.refund_manual", target=order, vendor_id=sub.vendor_id, reason=text,
                     before={"sub_order": sub.pk, "refunded_amount": before[sub.pk]},
                     after={"sub_order": sub.pk, "refunded_amount": before[sub.pk] + refund.amount,
                            "amount": refund.amount, "currency": order.currency, "mode": refund.mode})
    return done


def _part_refund(order: Order, sub: SubOrder, *, amount: int, reason: str, actor: Any) -> PartRefund:
    state = fulfilment().state(sub_order=sub)
    quantities = dict(OrderLine.objects.filter(sub_order=sub).values_list("pk", "quantity"))
    lines = state.lines if state is not None else {}
    nothing_shipped = not any(line.shipped_quantity for line in lines.values())
    open_units = state is None or any(line.shipped_quantity + line.cancelled_quantity < quantities.get(pk, 0)
                                      for pk, line in lines.items())
    before = sub.refunded_amount
    # Cancelling refunds the whole shipping again: only while none of it was refunded (lines are
    # always refunded before shipping, by every path).
    shipping_untouched = sub.refunded_amount == sum(
        OrderLine.objects.filter(sub_order=sub).values_list("refunded_amount", flat=True))
    if nothing_shipped and open_units and shipping_untouched and amount == sub_order_refundable(sub):
        # Nothing has left the warehouse: the part is cancelled, so the stock goes back too.
        fulfilment().cancel_all(sub_order=sub, user=actor, by=OrderEvent.ActorKind.STAFF)
        synced = sub_order_sync(sub_order_id=sub.pk, actor=actor_of(actor, OrderEvent.ActorKind.STAFF))
        refunded, mode, refund_id = (synced.refunded_amount if synced else before) - before, "cancelled", ""
    else:
        refund_id = _money_refund(order, sub, amount=amount, reason=reason, actor=actor)
        refunded, mode = amount, "money"
    order_event_record(order_id=order.pk, sub_order_id=sub.pk, kind=AUDIT_KIND,
                       actor=actor_of(actor, OrderEvent.ActorKind.STAFF), reason=reason,
                       data={"amount": refunded, "currency": order.currency, "mode": mode,
                             "refund_id": refund_id, "vendor_id": sub.vendor_id})
    return PartRefund(sub_order_id=sub.pk, amount=refunded, mode=mode)


def _money_refund(order: Order, sub: SubOrder, *, amount: int, reason: str, actor: Any) -> str:
    """Refund `amount` of the part through the gateway, taken from its lines (what each has left)
    first, then its shipping; the vendor's copy kept in step (its sync back would otherwise undo this)."""
    lines = list(OrderLine.objects.select_for_update().filter(sub_order=sub).order_by("pk"))
    caps = [max(line_charge(line, order) - line.refunded_amount, 0) for line in lines]
    shipping_left = max(sub_order_refundable(sub) - sum(caps), 0)
    parts = _fill(amount, [*caps, shipping_left])
    sequence = OrderEvent.objects.filter(sub_order=sub, kind=AUDIT_KIND).count() + 1
    result = gateway.refund_create(
        key=f"support:suborder:{sub.pk}:refund:{sequence}", payment_intent_id=order.payment_intent_id,
        amount=amount, metadata={"order_id": order.pk, "sub_order_id": sub.pk, "reason": "support"},
    )
    commission = 0
    for line, part in zip(lines, parts, strict=False):
        charge = line_charge(line, order)
        if part and charge:
            commission += line.commission_amount * part // charge
            OrderLine.objects.filter(pk=line.pk).update(refunded_amount=F("refunded_amount") + part)
    if not refund_commission_policy():
        commission = 0
    sub.refunded_amount += amount
    sub.save(update_fields=["refunded_amount", "updated_at"])
    fulfilment().refund_record(sub_order=sub, amount=amount, line_parts={
        line.pk: part for line, part in zip(lines, parts, strict=False) if part})
    order_event_record(
        order_id=order.pk, sub_order_id=sub.pk, kind="sub_order.refund",
        actor=actor_of(actor, OrderEvent.ActorKind.STAFF), reason=reason,
        data={"refund_id": result.id, "amount": amount, "commission": commission, "currency": order.currency,
              "vendor_id": sub.vendor_id, "refund_commission": True, "vendor_part": amount - commission},
    )
    return str(result.id)


def _fill(amount: int, caps: list[int]) -> list[int]:
    """`amount` spread over `caps` in order, each filled before the next (the lines, then shipping)."""
    parts = []
    for cap in caps:
        part = min(cap, amount)
        parts.append(part)
        amount -= part
    return parts
