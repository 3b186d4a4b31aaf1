"""Webhook intake at its edges (docs/mutation.md, module `webhook_intake`): which stored events the
periodic sweep queues again, named by task, with no worker involved; the handler registry; what a
failure records; a broker outage; a replay in autocommit."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import socket
import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from payments import webhooks
from payments.models import WebhookEvent
from tests.payments.events import make_event, signed_headers
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


# --- the handler registry ----------------------------------------------------------------------
def _first(event: WebhookEvent) -> None:
    """A handler for the registry tests (never run)."""


def _second(event: WebhookEvent) -> None:
    """Another handler for the registry tests (never run)."""


def test_a_handler_is_registered_once_for_each_of_its_event_types(monkeypatch: Any) -> None:
    monkeypatch.setattr(webhooks, "_HANDLERS", {})
    with pytest.raises(ValueError, match="at least one event type"):
        webhooks.webhook_handler()
    assert webhooks.webhook_handler("test.one", "test.two")(_first) is _first
    webhooks.webhook_handler("test.one")(_first)  # registered twice: still runs once
    webhooks.webhook_handler("test.one")(_second)
    assert webhooks.handlers_for("test.one") == [_first, _second]
    assert webhooks.handlers_for("test.two") == [_first]
    assert webhooks.handled_event_types() == ["test.one", "test.two"]


# --- intake -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("sent", "stored"), [
    ("2024-06-20", "2024-06-20"),
    ("2024-06-20.acacia; preview=payments-v2-extended", "2024-06-20.acacia; preview=payme"),  # 10 + 7 + 2 + 8 + 5
    (None, ""),
])
def test_the_api_version_is_stored_cut_to_32_characters(post_event: Any, sent: str | None, stored: str) -> None:
    event = make_event("payment_intent.created", event_id="evt_api_version")
    event["api_version"] = sent
    assert post_event(event).status_code == 200
    assert WebhookEvent.objects.get(stripe_id="evt_api_version").api_version == stored


@pytest.mark.parametrize("status", [WebhookEvent.Status.APPLIED, WebhookEvent.Status.IGNORED,
                                    WebhookEvent.Status.FAILED])
def test_a_late_duplicate_of_an_event_no_longer_received_queues_nothing(
        post_event: Any, django_capture_on_commit_callbacks: Any, status: str) -> None:
    event = make_event("payment_intent.created", event_id="evt_late_dup")
    with django_capture_on_commit_callbacks():
        assert post_event(event).status_code == 200
    WebhookEvent.objects.update(status=status, received_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks() as callbacks:
        assert post_event(event).json()["duplicate"] is True
    assert queued_tasks(callbacks) == []
    assert WebhookEvent.objects.get().duplicate_deliveries == 1


def test_a_broker_outage_leaves_the_event_received_and_is_logged(
        post_event: Any, django_capture_on_commit_callbacks: Any, caplog: Any) -> None:
    from config.celery import app

    with django_capture_on_commit_callbacks() as callbacks:
        assert post_event(make_event("payment_intent.created", event_id="evt_no_broker")).status_code == 200
    stored = WebhookEvent.objects.get(stripe_id="evt_no_broker")

    def use_broker(url: str) -> None:
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    good_broker = app.conf.broker_url
    use_broker("redis://127.0.0.1:9/0")  # nothing listens there
    try:
        with caplog.at_level(logging.ERROR, logger="payments.webhooks"):
            assert len(callbacks) == 1
            callbacks[0]()  # raises nothing
    finally:
        use_broker(good_broker)
    assert f"could not queue webhook event {stored.pk}; it stays received" in caplog.text
    stored.refresh_from_db()
    assert stored.status == WebhookEvent.Status.RECEIVED


# --- failures as recorded -----------------------------------------------------------------------
def _third_level() -> None:
    raise RuntimeError("deepest")


def _second_level() -> None:
    _third_level()


def _first_level() -> None:
    _second_level()


def _outer_handler(event: WebhookEvent) -> None:
    _first_level()


def _store(event: dict[str, Any]) -> WebhookEvent:
    body = json.dumps(event)
    stored, created = webhooks.webhook_event_receive(
        payload=body.encode(), signature=signed_headers(body)["HTTP_STRIPE_SIGNATURE"])
    assert created
    return stored


def test_a_failure_records_the_innermost_three_frames(monkeypatch: Any) -> None:
    monkeypatch.setitem(webhooks._HANDLERS, "test.deep", [_outer_handler])
    stored = _store(make_event("test.deep", event_id="evt_deep"))
    failed = webhooks.webhook_event_apply(event_id=stored.pk)
    assert failed.status == WebhookEvent.Status.FAILED
    summary, frames = failed.last_error.split("\n", 1)
    assert summary == "RuntimeError: deepest"
    shown = re.findall(r'^  File ".*", line \d+, in (\w+)$', frames, flags=re.MULTILINE)
    assert shown == ["_first_level", "_second_level", "_third_level"]


def test_a_failures_text_is_cut_at_4000_characters(monkeypatch: Any) -> None:
    def huge(event: WebhookEvent) -> None:
        raise RuntimeError("x" * 5000)

    monkeypatch.setitem(webhooks._HANDLERS, "test.huge", [huge])
    stored = _store(make_event("test.huge", event_id="evt_huge"))
    failed = webhooks.webhook_event_apply(event_id=stored.pk)
    assert failed.last_error == ("RuntimeError: " + "x" * 5000)[:4000]
    assert len(WebhookEvent.objects.get(pk=stored.pk).last_error) == 4000


# --- the sweep ----------------------------------------------------------------------------------
def test_the_sweep_queues_at_most_a_thousand_events_at_a_time(django_capture_on_commit_callbacks: Any) -> None:
    long_ago = timezone.now() - timedelta(minutes=5)
    WebhookEvent.objects.bulk_create(
        WebhookEvent(stripe_id=f"evt_many_{i}", type="payment_intent.created", created=1, payload={},
                     raw_body="{}", received_at=long_ago, status=WebhookEvent.Status.RECEIVED)
        for i in range(1001))
    with django_capture_on_commit_callbacks() as callbacks:
        assert webhooks.webhook_events_requeue_stuck() == 1000
    assert len(callbacks) == 1000


# --- replay outside any transaction -------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_replay_called_in_autocommit_locks_and_queues_the_event() -> None:
    failed = WebhookEvent.objects.create(
        stripe_id="evt_replay_autocommit", type="payment_intent.created", created=1, payload={},
        raw_body="{}", received_at=timezone.now(), status=WebhookEvent.Status.FAILED)
    assert connection.get_autocommit()
    published = queued_tasks([lambda: webhooks.webhook_event_replay(event_id=failed.pk)])
    assert published == [("payments.tasks.webhook_event_apply", (failed.pk,), "public")]
    failed.refresh_from_db()
    assert failed.status == WebhookEvent.Status.RECEIVED


# --- publishing with retries --------------------------------------------------------------------
class _DroppingBroker:
    """A TCP listener that accepts every connection and closes it at once, counting them: a
    broker that is up but drops every publish."""

    def __init__(self) -> None:
        self.connections = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self._server.getsockname()[1]}/0"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                peer, _ = self._server.accept()
            except OSError:  # closed
                return
            self.connections += 1
            peer.close()

    def close(self) -> None:
        self._server.close()


def test_a_dropped_publish_is_tried_once_and_twice_again(caplog: Any) -> None:
    """The retry policy (two retries) is what a broker that drops connections sees: three."""
    from config.celery import app

    def use_broker(url: str) -> None:
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    broker = _DroppingBroker()
    good_broker = app.conf.broker_url
    use_broker(broker.url)
    try:
        webhooks._enqueue(4242)
    finally:
        use_broker(good_broker)
        broker.close()
    assert broker.connections == 3
    assert "could not queue webhook event 4242; it stays received" in caplog.text


def test_the_apply_task_is_published_with_the_retry_policy_of_a_webhook_answer(monkeypatch: Any) -> None:
    """A broker hiccup is retried while Stripe waits for the answer: at once, then 0.2 s later,
    twice at most (under a second in all). What kombu is asked to do, recorded on its way through."""
    from kombu.messaging import Producer

    from config.celery import app

    published: list[dict[str, Any]] = []
    publish = Producer.publish

    def recording(self: Producer, body: Any, *args: Any, **kwargs: Any) -> Any:
        published.append({"task": (kwargs.get("headers") or {}).get("task"), "retry": kwargs.get("retry"),
                          "retry_policy": dict(kwargs.get("retry_policy") or {})})
        return publish(self, body, *args, **kwargs)

    monkeypatch.setattr(Producer, "publish", recording)
    try:
        webhooks._enqueue(4243)
    finally:
        app.control.purge()
    assert len(published) == 1
    (sent,) = published
    assert sent["task"] == "payments.tasks.webhook_event_apply"
    assert sent["retry"] is True
    policy = sent["retry_policy"]
    assert (policy["max_retries"], policy["interval_start"], policy["interval_step"]) == (2, 0, 0.2)
