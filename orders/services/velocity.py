"""Velocity rules: orders, distinct cards and failed payments per buyer and per address per hour.

Counted from the database (orders and their payment attempts, `payments.PaymentAttempt`), so every
host and worker sees the same numbers. A hard limit refuses the checkout before anything is
reserved; a soft limit sends the paid order to the ops review queue (`orders.services.risk`).
New accounts (as in `buyer_limits`: joined less than ORDERS_NEW_BUYER_HOURS ago, or never paid)
get the stricter `new_buyer` limits. Limits and window: ORDERS_VELOCITY_* settings (docs/adr/0045).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.errors import VelocityLimit
from orders.models import Order
from orders.services.buyer_limits import is_new_buyer
from payments.models import PaymentAttempt

METRICS = ("orders", "cards", "failed_payments")

DEFAULT_LIMITS: dict[str, dict[str, tuple[int, int]]] = {
    # per: {metric: (soft, hard)}: more than `soft` in the window sends the paid order to review;
    # once `hard` is reached, checkout is refused.
    "buyer": {"orders": (5, 10), "cards": (3, 5), "failed_payments": (3, 8)},
    "new_buyer": {"orders": (2, 4), "cards": (1, 3), "failed_payments": (2, 4)},
    "address": {"orders": (10, 20), "cards": (5, 10), "failed_payments": (6, 15)},
}


@dataclass(frozen=True)
class Counts:
    orders: int
    cards: int
    failed_payments: int

    def get(self, metric: str) -> int:
        return int(getattr(self, metric))


def window() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "ORDERS_VELOCITY_WINDOW_MINUTES", 60)))


def limits(per: str) -> dict[str, tuple[int, int]]:
    configured = getattr(settings, "ORDERS_VELOCITY_LIMITS", None) or {}
    merged = dict(DEFAULT_LIMITS[per])
    merged.update({k: (int(v[0]), int(v[1])) for k, v in (configured.get(per) or {}).items()})
    return merged


def velocity_counts(*, user: Any, client_ip: str | None, now: datetime | None = None) -> dict[str, Counts]:
    """This hour's counts per buyer and (when known) per client address: two queries, whatever
    the subjects (orders placed; then the attempts on those subjects' PaymentIntents)."""
    since = (now or timezone.now()) - window()
    subjects: dict[str, Q] = {"buyer": Q(buyer_id=user.pk)}
    if client_ip:
        subjects["address"] = Q(client_ip=client_ip)
    either = Q()
    for condition in subjects.values():
        either |= condition
    placed = Order.objects.filter(either, created_at__gte=since).aggregate(
        **{per: Count("pk", filter=condition) for per, condition in subjects.items()})
    attempts: dict[str, Any] = {}
    card = ~Q(card_fingerprint="")
    for per, condition in subjects.items():
        intents = Q(payment_intent_id__in=Order.objects.filter(condition).exclude(payment_intent_id="")
                    .values("payment_intent_id"))
        attempts[f"{per}_cards"] = Count("card_fingerprint", distinct=True, filter=intents & card)
        attempts[f"{per}_failed"] = Count("pk", filter=intents & Q(status=PaymentAttempt.Status.FAILED))
    counted = PaymentAttempt.objects.filter(charged_at__gte=since).aggregate(**attempts)
    return {per: Counts(orders=placed[per], cards=counted[f"{per}_cards"], failed_payments=counted[f"{per}_failed"])
            for per in subjects}


def _limits_for(per: str, *, new_buyer: bool) -> dict[str, tuple[int, int]]:
    return limits("new_buyer" if per == "buyer" and new_buyer else per)


def velocity_checkout_check(*, user: Any, client_ip: str | None, now: datetime,
                            new_buyer: bool | None = None) -> None:
    """Refuse a checkout once a hard limit is reached (before anything is created or reserved).
    `new_buyer` when the caller already knows it (the stock-hoarding check works it out)."""
    if new_buyer is None:
        new_buyer = is_new_buyer(user=user, now=now)
    for per, counts in velocity_counts(user=user, client_ip=client_ip, now=now).items():
        for metric, (_soft, hard) in _limits_for(per, new_buyer=new_buyer).items():
            if counts.get(metric) >= hard:
                raise VelocityLimit(
                    _("Too many orders or payment attempts in a short time. Please try again in an "
                      "hour, or contact support."),
                    extra={"per": per, "metric": metric, "limit": hard},
                )


def velocity_review_reasons(*, order: Order, now: datetime | None = None) -> list[str]:
    """The soft limits a paid order's buyer or address has gone past (`velocity:<per>:<metric>`)."""
    now = now or timezone.now()
    new_buyer = is_new_buyer(user=order.buyer, now=now)
    reasons = []
    ip = str(order.client_ip) if order.client_ip else None
    for per, counts in velocity_counts(user=order.buyer, client_ip=ip, now=now).items():
        for metric, (soft, _hard) in _limits_for(per, new_buyer=new_buyer).items():
            if counts.get(metric) > soft:
                reasons.append(f"velocity:{per}:{metric}")
    return reasons
