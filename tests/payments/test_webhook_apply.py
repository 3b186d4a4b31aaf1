"""Applying stored events: exactly once, failures recorded and retried, any order of arrival."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from payments import gateway, webhooks
from payments.errors import WebhookEventNotReplayable
from payments.models import PaymentRecord, WebhookEvent
from tests.payments.events import make_event, signed_headers, wait_until
from tests.support.queued import queued_tasks


@pytest.fixture
def register(monkeypatch: Any) -> Callable[[str, Callable[[WebhookEvent], None]], None]:
    """Register a handler for this test only."""

    def add(event_type: str, handler: Callable[[WebhookEvent], None]) -> None:
        monkeypatch.setitem(webhooks._HANDLERS, event_type, [handler])

    return add


def _store(event: dict[str, Any]) -> WebhookEvent:
    body = json.dumps(event)
    stored, _ = webhooks.webhook_event_receive(
        payload=body.encode(), signature=signed_headers(body)["HTTP_STRIPE_SIGNATURE"]
    )
    return stored


def _intent_json(order_id: int, card: str | None = None) -> dict[str, Any]:
    intent = gateway.payment_intent_create(order_id=order_id, amount=3100, currency="EUR",
                                           transfer_group=f"order_{order_id}", metadata={})
    if card:
        gateway.payment_intent_confirm(payment_intent_id=intent.id, payment_method=card)
    return gateway.payment_intent_retrieve_raw(payment_intent_id=intent.id)


# --- exactly once -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_apply_runs_handlers_once_and_marks_applied(register: Any) -> None:
    calls: list[str] = []
    register("test.count", lambda event: calls.append(event.stripe_id))
    stored = _store(make_event("test.count", event_id="evt_once"))
    first = webhooks.webhook_event_apply(event_id=stored.pk)
    second = webhooks.webhook_event_apply(event_id=stored.pk)
    assert calls == ["evt_once"]
    assert first.status == second.status == WebhookEvent.Status.APPLIED
    assert first.attempts == 1 and first.applied_at is not None


@pytest.mark.django_db(transaction=True)
def test_applying_an_event_costs_two_statements_around_its_handlers(register: Any) -> None:
    """Lock the event, run the handlers, mark it applied: no savepoint around the handlers."""
    from django.test.utils import CaptureQueriesContext

    register("test.noop", lambda event: None)
    stored = _store(make_event("test.noop", event_id="evt_cost"))
    with CaptureQueriesContext(connection) as queries:
        assert webhooks.webhook_event_apply(event_id=stored.pk).status == WebhookEvent.Status.APPLIED
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements == ["BEGIN", "SELECT", "UPDATE", "COMMIT"], statements  # with a savepoint: 6


@pytest.mark.django_db
def test_a_failing_handler_is_recorded_and_its_writes_undone(register: Any) -> None:
    def half_then_fail(event: WebhookEvent) -> None:
        PaymentRecord.objects.create(payment_intent_id="pi_half", status="succeeded", amount=1,
                                     currency="EUR", last_event_created=1)
        raise RuntimeError("ledger is closed")

    register("test.fail", half_then_fail)
    stored = _store(make_event("test.fail", event_id="evt_fail"))
    result = webhooks.webhook_event_apply(event_id=stored.pk)
    assert result.status == WebhookEvent.Status.FAILED
    assert result.attempts == 1
    assert "RuntimeError: ledger is closed" in result.last_error
    assert not PaymentRecord.objects.exists()


@pytest.mark.django_db
def test_replay_requeues_failed_events_only(register: Any, django_capture_on_commit_callbacks: Any) -> None:
    outcomes = iter([RuntimeError("first"), None])

    def flaky(event: WebhookEvent) -> None:
        error = next(outcomes)
        if error:
            raise error

    register("test.flaky", flaky)
    stored = _store(make_event("test.flaky", event_id="evt_replay"))
    assert webhooks.webhook_event_apply(event_id=stored.pk).status == WebhookEvent.Status.FAILED
    with django_capture_on_commit_callbacks() as callbacks:
        replayed = webhooks.webhook_event_replay(event_id=stored.pk)
    assert replayed.status == WebhookEvent.Status.RECEIVED
    assert queued_tasks(callbacks) == [("payments.tasks.webhook_event_apply", (stored.pk,), "public")]
    applied = webhooks.webhook_event_apply(event_id=stored.pk)
    assert (applied.status, applied.attempts, applied.last_error) == (WebhookEvent.Status.APPLIED, 2, "")
    with pytest.raises(WebhookEventNotReplayable):
        webhooks.webhook_event_replay(event_id=stored.pk)


@pytest.mark.django_db(transaction=True)
def test_concurrent_applications_of_one_event_apply_once(register: Any) -> None:
    calls: list[int] = []
    lock = threading.Lock()

    def count(event: WebhookEvent) -> None:
        with lock:
            calls.append(1)

    register("test.race", count)
    stored = _store(make_event("test.race", event_id="evt_race"))
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            webhooks.webhook_event_apply(event_id=stored.pk)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert calls == [1]
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.APPLIED


# --- payment intent state machine ---------------------------------------------------------------
@pytest.mark.django_db
def test_newer_event_sets_state_from_its_payload() -> None:
    created = _intent_json(500)
    paid = _intent_json(501, card="pm_card_visa")
    first = _store(make_event("payment_intent.created", created, event_id="evt_pi_1", created=100))
    webhooks.webhook_event_apply(event_id=first.pk)
    record = PaymentRecord.objects.get(payment_intent_id=created["id"])
    assert (record.status, record.amount, record.currency, record.latest_charge) == (
        "requires_payment_method", 3100, "EUR", "")
    assert (record.last_event_created, record.last_event_id, record.refetched) == (100, "evt_pi_1", 0)
    # a newer event with another state: taken from the payload, no gateway call
    newer = {**created, "status": "processing"}
    second = _store(make_event("payment_intent.processing", newer, event_id="evt_pi_2", created=200))
    webhooks.webhook_event_apply(event_id=second.pk)
    record.refresh_from_db()
    assert (record.status, record.last_event_created, record.refetched) == ("processing", 200, 0)
    assert paid["status"] == "succeeded"


@pytest.mark.django_db
def test_older_event_never_overwrites_newer_state_and_refetches() -> None:
    paid = _intent_json(502, card="pm_card_visa")
    created_state = {**paid, "status": "requires_payment_method", "latest_charge": None}
    succeeded = _store(make_event("payment_intent.succeeded", paid, event_id="evt_new", created=300))
    webhooks.webhook_event_apply(event_id=succeeded.pk)
    stale = _store(make_event("payment_intent.created", created_state, event_id="evt_old", created=200))
    webhooks.webhook_event_apply(event_id=stale.pk)
    record = PaymentRecord.objects.get(payment_intent_id=paid["id"])
    assert record.status == "succeeded"
    assert record.latest_charge == paid["latest_charge"]
    assert (record.last_event_created, record.last_event_id) == (300, "evt_new")
    assert record.refetched == 1  # asked the gateway instead of trusting the stale payload


@pytest.mark.django_db
def test_same_second_events_resolve_through_the_gateway() -> None:
    paid = _intent_json(503, card="pm_card_visa")
    stale_copy = {**paid, "status": "requires_payment_method", "latest_charge": None}
    webhooks.webhook_event_apply(event_id=_store(make_event(
        "payment_intent.succeeded", paid, event_id="evt_s_1", created=400)).pk)
    webhooks.webhook_event_apply(event_id=_store(make_event(
        "payment_intent.created", stale_copy, event_id="evt_s_2", created=400)).pk)
    record = PaymentRecord.objects.get(payment_intent_id=paid["id"])
    assert record.status == "succeeded"
    assert record.last_event_id == max("evt_s_1", "evt_s_2")


@pytest.mark.django_db
def test_declined_payment_records_the_decline_code() -> None:
    intent = gateway.payment_intent_create(order_id=504, amount=3100, currency="EUR",
                                           transfer_group="order_504", metadata={})
    with pytest.raises(Exception):  # noqa: B017 - CardDeclined, checked in test_gateway
        gateway.payment_intent_confirm(payment_intent_id=intent.id, payment_method="pm_card_chargeDeclined")
    failed = gateway.payment_intent_retrieve_raw(payment_intent_id=intent.id)
    stored = _store(make_event("payment_intent.payment_failed", failed, event_id="evt_decl", created=10))
    webhooks.webhook_event_apply(event_id=stored.pk)
    record = PaymentRecord.objects.get()
    assert (record.status, record.last_error_code) == ("requires_payment_method", "generic_decline")


# --- through the real worker ---------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_worker_applies_a_delivered_event(task_worker: Any) -> None:
    from tenants.services import public_tenant_ensure

    public_tenant_ensure()
    paid = _intent_json(600, card="pm_card_visa")
    body = json.dumps(make_event("payment_intent.succeeded", paid, event_id="evt_worker_1", created=5))
    response = Client(HTTP_HOST="marketplace.localhost").post(
        "/webhooks/stripe/", data=body, content_type="application/json", **signed_headers(body))
    assert response.status_code == 200
    wait_until(lambda: WebhookEvent.objects.filter(status="applied").exists(), message="event applied")
    assert PaymentRecord.objects.get().status == "succeeded"


@pytest.mark.django_db(transaction=True)
def test_worker_retries_a_failing_event_with_backoff_until_it_applies(task_worker: Any, register: Any) -> None:
    from tenants.services import public_tenant_ensure

    public_tenant_ensure()
    seen: list[int] = []

    def fails_twice(event: WebhookEvent) -> None:
        seen.append(event.attempts)
        if len(seen) <= 2:
            raise RuntimeError(f"transient {len(seen)}")

    register("test.retry", fails_twice)
    body = json.dumps(make_event("test.retry", event_id="evt_retry"))
    Client(HTTP_HOST="marketplace.localhost").post(
        "/webhooks/stripe/", data=body, content_type="application/json", **signed_headers(body))
    event = wait_until(lambda: WebhookEvent.objects.filter(status="applied").first(), message="applied")
    assert event.attempts == 3
    assert seen == [1, 2, 3]


@pytest.mark.django_db(transaction=True)
def test_worker_leaves_a_permanently_failing_event_failed_and_visible(task_worker: Any, register: Any) -> None:
    from payments.tasks import MAX_APPLY_RETRIES
    from tenants.services import public_tenant_ensure

    public_tenant_ensure()
    register("test.broken", lambda event: (_ for _ in ()).throw(ValueError("always broken")))
    body = json.dumps(make_event("test.broken", event_id="evt_broken"))
    Client(HTTP_HOST="marketplace.localhost").post(
        "/webhooks/stripe/", data=body, content_type="application/json", **signed_headers(body))
    event = wait_until(
        lambda: WebhookEvent.objects.filter(attempts=MAX_APPLY_RETRIES + 1).first(), timeout=30,
        message="all retries used",
    )
    assert event.status == WebhookEvent.Status.FAILED
    assert "always broken" in event.last_error


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_still_answers_200_and_the_sweeper_requeues(task_worker: Any, caplog: Any) -> None:
    """The event is stored even when the broker is down; the periodic sweeper queues it later."""
    from datetime import timedelta

    from django.utils import timezone

    from config.celery import app
    from tenants.services import public_tenant_ensure

    public_tenant_ensure()
    paid = _intent_json(700, card="pm_card_visa")
    body = json.dumps(make_event("payment_intent.succeeded", paid, event_id="evt_broker_down", created=5))
    def use_broker(url: str) -> None:
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    good_broker = app.conf.broker_url
    use_broker("redis://127.0.0.1:9/0")  # nothing listens there
    try:
        response = Client(HTTP_HOST="marketplace.localhost").post(
            "/webhooks/stripe/", data=body, content_type="application/json", **signed_headers(body))
    finally:
        use_broker(good_broker)
    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.RECEIVED
    assert "could not queue webhook event" in caplog.text
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    assert webhooks.webhook_events_requeue_stuck() == 1
    wait_until(lambda: WebhookEvent.objects.filter(status="applied").exists(), timeout=60,
               message="swept and applied")
    assert PaymentRecord.objects.get().status == "succeeded"
