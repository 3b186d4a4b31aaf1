"""Webhook intake at its edges (docs/mutation.md, module `webhook_intake`): which stored events the
periodic sweep queues again, named by task, with no worker involved."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from payments import webhooks
from payments.models import WebhookEvent
from tests.payments.events import make_event
from tests.support.queued import queued_tasks

pytestmark = pytest.mark.django_db


def test_the_sweep_queues_only_events_received_longer_ago_than_the_limit(
        post_event: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks():
        for event_id in ("evt_sweep_old", "evt_sweep_fresh", "evt_sweep_done"):
            assert post_event(make_event("payment_intent.created", event_id=event_id)).status_code == 200
    now = timezone.now()
    WebhookEvent.objects.filter(stripe_id__in=["evt_sweep_old", "evt_sweep_done"]).update(
        received_at=now - timedelta(minutes=5))
    WebhookEvent.objects.filter(stripe_id="evt_sweep_fresh").update(received_at=now - timedelta(seconds=20))
    WebhookEvent.objects.filter(stripe_id="evt_sweep_done").update(status=WebhookEvent.Status.APPLIED)
    old = WebhookEvent.objects.get(stripe_id="evt_sweep_old")
    with django_capture_on_commit_callbacks() as callbacks:
        assert webhooks.webhook_events_requeue_stuck() == 1
    assert queued_tasks(callbacks) == [("payments.tasks.webhook_event_apply", (old.pk,), "public")]
    with django_capture_on_commit_callbacks() as callbacks:
        assert webhooks.webhook_events_requeue_stuck(older_than=timedelta(seconds=10)) == 2
    assert sorted(queued_tasks(callbacks)) == sorted(
        ("payments.tasks.webhook_event_apply", (pk,), "public")
        for pk in WebhookEvent.objects.filter(stripe_id__in=["evt_sweep_old", "evt_sweep_fresh"]).values_list(
            "pk", flat=True))


def test_a_duplicate_queues_a_received_event_again_only_after_a_full_minute(
        post_event: Any, django_capture_on_commit_callbacks: Any) -> None:
    """On a frozen clock: a duplicate exactly 60 s after the first delivery still waits for the
    first task; one a microsecond later queues the event again (its task may have been lost)."""
    start = dt.datetime(2026, 3, 14, 12, 0, 0, tzinfo=dt.UTC)
    event = make_event("payment_intent.created", event_id="evt_stuck_edge")
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks():
        assert post_event(event, timestamp=int(start.timestamp())).status_code == 200
    stored = WebhookEvent.objects.get(stripe_id="evt_stuck_edge")
    for later, queued in ((webhooks.STUCK_AFTER, []),
                          (webhooks.STUCK_AFTER + timedelta(microseconds=1),
                           [("payments.tasks.webhook_event_apply", (stored.pk,), "public")])):
        with time_machine.travel(start + later, tick=False), django_capture_on_commit_callbacks() as callbacks:
            assert post_event(event, timestamp=int(start.timestamp())).status_code == 200
        assert queued_tasks(callbacks) == queued, later
