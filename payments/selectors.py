"""Payments reads: webhook events for the ops console, filtered and ordered."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from payments.models import WebhookEvent

# The list shows these; the payload and raw body (large) are loaded on the detail page only.
_LIST_FIELDS = (
    "id", "stripe_id", "type", "account", "created", "livemode", "received_at", "status",
    "attempts", "applied_at", "duplicate_deliveries",
)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def webhook_event_list(
    *,
    status: str | None = None,
    event_type: str | None = None,
    account: str | None = None,
    search: str | None = None,
    received_from: date | None = None,
    received_to: date | None = None,
) -> QuerySet[WebhookEvent]:
    events = WebhookEvent.objects.only(*_LIST_FIELDS).order_by("-received_at", "-id")
    if status:
        events = events.filter(status=status)
    if event_type:
        events = (
            events.filter(type__startswith=event_type[:-1])
            if event_type.endswith("*")
            else events.filter(type=event_type)
        )
    if account:
        events = events.filter(account=account)
    if search:
        events = events.filter(stripe_id=search.strip())
    if received_from:
        events = events.filter(received_at__gte=_day_start(received_from))
    if received_to:
        events = events.filter(received_at__lt=_day_start(received_to) + timedelta(days=1))
    return events


def webhook_event_get(*, event_id: int) -> WebhookEvent:
    return WebhookEvent.objects.get(pk=event_id)


def webhook_event_types() -> list[str]:
    return list(WebhookEvent.objects.order_by("type").values_list("type", flat=True).distinct())


def webhook_status_counts() -> dict[str, int]:
    rows = WebhookEvent.objects.values("status").annotate(n=Count("id")).order_by()
    return {row["status"]: row["n"] for row in rows}
