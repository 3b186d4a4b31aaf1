"""Fraud review of paid orders: held when risky (Radar, velocity), approved or refused by an admin.

A paid order whose charge Stripe Radar rated `elevated` (or `highest`, should such a charge
succeed) or whose buyer or address went past a velocity soft limit is held in the same
transaction that marks it paid: an `OrderReview` row, and an `order.review_held` event that
payouts hears to hold the vendors' transfers. Vendors see the hold on their copy and may not ship
(`order_ship_allowed`). A platform admin with two-factor authentication decides: approving lifts
the holds; refusing cancels and refunds every vendor part through fulfilment's cancellation (stock
back, ledger entries, transfers reduced), the path a buyer's cancellation takes. Each decision is
an order event (who, when, why) besides the review row (docs/adr/0045).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from common.exceptions import ApplicationError, PermissionDenied
from orders.errors import OrderNotFound, OrderStateConflict
from orders.events import WEBHOOK, actor_of, order_event_record
from orders.fulfillment_port import fulfilment
from orders.models import Order, OrderReview, SubOrder
from orders.services.sub_orders import sub_order_sync
from orders.services.velocity import velocity_review_reasons
from payments.models import PaymentAttempt

logger = logging.getLogger(__name__)

# The key of the vendors' transfer holds while an order is reviewed (payouts' hold reasons).
TRANSFER_HOLD_REASON = "fraud_review"
RADAR_REASONS: dict[str, str] = {
    PaymentAttempt.RiskLevel.ELEVATED.value: "radar_elevated",
    PaymentAttempt.RiskLevel.HIGHEST.value: "radar_highest",
}


def order_risk_reasons(*, order: Order, attempt: PaymentAttempt | None) -> list[str]:
    """Why this paid order should be reviewed; empty when it need not be."""
    reasons = []
    if attempt is not None and attempt.risk_level in RADAR_REASONS:
        reasons.append(RADAR_REASONS[attempt.risk_level])
    return reasons + velocity_review_reasons(order=order)


def order_review_hold(*, order: Order, attempt: PaymentAttempt | None, reasons: list[str]) -> OrderReview:
    """Hold a paid order for review (inside the transaction that marks it paid; idempotent)."""
    review, created = OrderReview.objects.get_or_create(
        order=order,
        defaults={"reasons": reasons, "risk_level": attempt.risk_level if attempt else "",
                  "risk_score": attempt.risk_score if attempt else None,
                  "charge_id": attempt.charge_id if attempt else ""},
    )
    if created:
        order_event_record(order_id=order.pk, kind="order.review_held", actor=WEBHOOK,
                           reason=", ".join(reasons),
                           data={"reasons": reasons, "risk_level": review.risk_level,
                                 "risk_score": review.risk_score})
    return review


def order_ship_allowed(*, order_id: int) -> bool:
    """False while the order waits for its fraud review (vendors may not ship it)."""
    return not OrderReview.objects.filter(order_id=order_id, status=OrderReview.Status.PENDING).exists()


def orders_held_for_review(*, order_ids: list[int]) -> set[int]:
    """Which of these orders wait for their fraud review (one query)."""
    if not order_ids:
        return set()
    return set(OrderReview.objects.filter(order_id__in=order_ids, status=OrderReview.Status.PENDING)
               .values_list("order_id", flat=True))


def _pending_review(*, order_id: Any, actor: Any) -> OrderReview:
    if not roles.can_review_risky_orders(actor):
        raise PermissionDenied(_("Only platform admins with two-factor authentication decide reviews."))
    try:
        pk = int(order_id)
    except (TypeError, ValueError):
        raise OrderNotFound(_("Order not found.")) from None
    # The order's row lock first (the lock the payment and refunds take), then the review's.
    order = Order.objects.select_for_update().filter(pk=pk).first()
    review = OrderReview.objects.select_for_update().filter(order_id=pk).first()
    if order is None or review is None:
        raise OrderNotFound(_("Order not found."))
    if review.status != OrderReview.Status.PENDING:
        raise OrderStateConflict(_("This order has already been reviewed."))
    return review


def _decided(review: OrderReview, *, status: str, actor: Any, reason: str) -> None:
    review.status = status
    review.decided_by = actor
    review.decided_at = timezone.now()
    review.decision_reason = reason
    review.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "updated_at"])
    order_event_record(order_id=review.order_id, kind=f"order.review_{status}", actor=actor_of(actor, "staff"),
                       reason=reason, data={"reasons": review.reasons})


@transaction.atomic
def order_review_approve(*, order_id: Any, actor: Any, reason: str = "") -> OrderReview:
    """Let the vendors ship: the review is approved and their transfers' holds lifted."""
    review = _pending_review(order_id=order_id, actor=actor)
    _decided(review, status=OrderReview.Status.APPROVED, actor=actor, reason=(reason or "").strip()[:2000])
    return review


@transaction.atomic
def order_review_refuse(*, order_id: Any, actor: Any, reason: str) -> OrderReview:
    """Refuse the order: every vendor part cancelled and refunded in full, its stock back."""
    reason = (reason or "").strip()[:2000]
    if not reason:
        raise ApplicationError(_("Say why the order is refused."), code="reason_required",
                               fields={"reason": [_("This field is required.")]})
    review = _pending_review(order_id=order_id, actor=actor)
    # Recorded first: the cancellation's own events then follow the decision in the history.
    _decided(review, status=OrderReview.Status.REFUSED, actor=actor, reason=reason)
    subs = SubOrder.objects.select_for_update(of=("self",)).select_related("vendor__store").filter(
        order_id=review.order_id, status=SubOrder.Status.PAID).order_by("pk")
    for sub in subs:
        fulfilment().cancel_all(sub_order=sub, user=actor, by="staff")
        sub_order_sync(sub_order_id=sub.pk, actor=actor_of(actor, "staff"))
    return review
