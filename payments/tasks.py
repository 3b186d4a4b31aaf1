"""Background work of payments: applying stored webhook events (with retries) and requeueing."""

from __future__ import annotations

import random
from typing import Any

from celery import shared_task
from django.conf import settings

from payments import webhooks
from payments.models import WebhookEvent

MAX_APPLY_RETRIES = 8


def _retry_delay(retries: int) -> float:
    base = float(getattr(settings, "PAYMENTS_WEBHOOK_RETRY_BASE_SECONDS", 10.0))
    cap = float(getattr(settings, "PAYMENTS_WEBHOOK_RETRY_MAX_SECONDS", 3600.0))
    delay = min(cap, base * (2**retries))
    return delay * (0.75 + random.random() / 4)


# No result stored (nothing reads it: one broker write less per event); the connection is kept
# between tasks (config.celery.TaskConnectionFixup: no new database session per event).
@shared_task(bind=True, max_retries=MAX_APPLY_RETRIES, acks_late=True, ignore_result=True, keeps_db_connection=True)
def webhook_event_apply(self: Any, event_id: int) -> str:
    """Apply one stored event; a failed application is retried with exponential backoff.

    Waiting events of the same account are applied with it in one transaction (a batch); the
    retries of a failed event apply it alone. After the last retry the event stays `failed` and
    visible in the ops console (replay button).
    """
    event = (webhooks.webhook_event_apply(event_id=event_id) if self.request.retries
             else webhooks.webhook_event_apply_batched(event_id=event_id))
    if event.status == WebhookEvent.Status.FAILED and self.request.retries < self.max_retries:
        raise self.retry(countdown=_retry_delay(self.request.retries))
    return str(event.status)


@shared_task
def webhook_events_requeue_stuck() -> int:
    return webhooks.webhook_events_requeue_stuck()
