"""Applying waiting events in batches (ADR 0063): one transaction for a connected account's
waiting events, in Stripe order, each event still applied exactly once, failures isolated."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from payments import webhooks
from payments.models import PaymentRecord, WebhookEvent
from tests.payments.events import make_event, wait_until


@pytest.fixture
def register(monkeypatch: Any) -> Callable[[str, Callable[[WebhookEvent], None]], None]:
    def add(event_type: str, handler: Callable[[WebhookEvent], None]) -> None:
        monkeypatch.setitem(webhooks._HANDLERS, event_type, [handler])

    return add


def _stored(event_type: str, event_id: str, *, created: int = 1_700_000_000, account: str = "") -> WebhookEvent:
    """A stored, waiting event (as intake leaves it; connected accounts are not checked here)."""
    data = make_event(event_type, event_id=event_id, created=created, account=account or None)
    return WebhookEvent.objects.create(
        stripe_id=event_id, type=event_type, account=account, created=created, payload=data,
        raw_body=json.dumps(data), received_at=timezone.now(), status=WebhookEvent.Status.RECEIVED)


def _statuses() -> dict[str, str]:
    return dict(WebhookEvent.objects.values_list("stripe_id", "status"))


@pytest.mark.django_db(transaction=True)
def test_one_task_applies_the_accounts_waiting_events_in_stripe_order(register: Any) -> None:
    calls: list[str] = []
    register("test.batch", lambda event: calls.append(event.stripe_id))
    first = _stored("test.batch", "evt_b_late", created=30)
    _stored("test.batch", "evt_b_early", created=10)
    third = _stored("test.batch", "evt_b_mid", created=20)
    with CaptureQueriesContext(connection) as queries:
        applied = webhooks.webhook_event_apply_batched(event_id=first.pk, limit=50)
    assert calls == ["evt_b_early", "evt_b_mid", "evt_b_late"]
    assert (applied.status, applied.attempts) == (WebhookEvent.Status.APPLIED, 1)
    assert set(_statuses().values()) == {"applied"}
    assert set(WebhookEvent.objects.values_list("attempts", flat=True)) == {1}
    # Read the event, then one transaction for all three: lock, mark applied. No savepoints.
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements == ["SELECT", "BEGIN", "SELECT", "UPDATE", "COMMIT"], statements
    # The other events' own tasks find them applied: one read each, no handler call.
    with CaptureQueriesContext(connection) as queries:
        assert webhooks.webhook_event_apply_batched(event_id=third.pk, limit=50).status == "applied"
    assert len(queries.captured_queries) == 1
    assert len(calls) == 3


@pytest.mark.django_db(transaction=True)
def test_handlers_in_a_batch_open_no_savepoints(register: Any) -> None:
    def nested(event: WebhookEvent) -> None:
        with transaction.atomic():  # what the handlers' services do
            PaymentRecord.objects.create(payment_intent_id=f"pi_{event.stripe_id}", status="succeeded",
                                         amount=1, currency="EUR", last_event_created=1)

    register("test.nested", nested)
    events = [_stored("test.nested", f"evt_nest_{n}", created=n) for n in range(3)]
    with CaptureQueriesContext(connection) as queries:
        webhooks.webhook_event_apply_batched(event_id=events[0].pk, limit=50)
    assert not [q for q in queries.captured_queries if "SAVEPOINT" in q["sql"].upper()]
    assert PaymentRecord.objects.count() == 3
    # The backend's savepoints are back for everything else.
    assert connection.features.uses_savepoints is True


@pytest.mark.django_db
def test_a_batch_holds_only_its_accounts_events_and_at_most_the_limit(register: Any) -> None:
    register("test.acct", lambda event: None)
    mine = [_stored("test.acct", f"evt_mine_{n}", created=n, account="acct_mine") for n in range(4)]
    _stored("test.acct", "evt_other", account="acct_other")
    _stored("test.acct", "evt_platform")
    webhooks.webhook_event_apply_batched(event_id=mine[2].pk, limit=3)
    statuses = _statuses()
    assert statuses["evt_mine_2"] == "applied"  # the task's own event is always in its batch
    assert sorted(s for k, s in statuses.items() if k.startswith("evt_mine")).count("applied") == 3
    assert statuses["evt_other"] == statuses["evt_platform"] == "received"


@pytest.mark.django_db
def test_a_failing_event_rolls_the_batch_back_and_fails_alone(register: Any) -> None:
    def record(event: WebhookEvent) -> None:
        PaymentRecord.objects.create(payment_intent_id=f"pi_{event.stripe_id}", status="succeeded",
                                     amount=1, currency="EUR", last_event_created=1)

    broken_runs: list[int] = []

    def broken(event: WebhookEvent) -> None:
        broken_runs.append(event.attempts)
        record(event)
        raise RuntimeError("ledger is closed")

    register("test.ok", record)
    register("test.broken", broken)
    good = _stored("test.ok", "evt_good", created=1)
    bad = _stored("test.broken", "evt_bad", created=2)
    # The batch [good, bad] fails whole; good's task then applies good alone.
    assert webhooks.webhook_event_apply_batched(event_id=good.pk, limit=50).status == "applied"
    assert _statuses() == {"evt_good": "applied", "evt_bad": "received"}
    assert list(PaymentRecord.objects.values_list("payment_intent_id", flat=True)) == ["pi_evt_good"]
    # bad's own task: its handler runs once, as alone; recorded failed with its error (retried
    # by the task), its write undone.
    broken_runs.clear()
    failed = webhooks.webhook_event_apply_batched(event_id=bad.pk, limit=50)
    assert broken_runs == [1]
    assert (failed.status, failed.attempts) == (WebhookEvent.Status.FAILED, 1)
    assert "RuntimeError: ledger is closed" in failed.last_error
    assert PaymentRecord.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_handler_swallowing_a_database_error_sends_its_event_the_one_by_one_way(register: Any) -> None:
    """Without savepoints a swallowed error leaves the batch's transaction broken: the batch is
    abandoned, and applied alone (with its savepoint) the handler's own recovery works."""
    def tolerant(event: WebhookEvent) -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT 1 / 0")
        except DataError:
            pass
        PaymentRecord.objects.create(payment_intent_id=f"pi_{event.stripe_id}", status="succeeded",
                                     amount=1, currency="EUR", last_event_created=1)

    register("test.tolerant", tolerant)
    event = _stored("test.tolerant", "evt_tolerant")
    assert webhooks.webhook_event_apply_batched(event_id=event.pk, limit=50).status == "applied"
    assert _statuses() == {"evt_tolerant": "applied"}
    assert PaymentRecord.objects.filter(payment_intent_id="pi_evt_tolerant").count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_event_held_by_another_batch_lets_the_task_apply_others_then_decide(register: Any) -> None:
    calls: list[str] = []
    register("test.held", lambda event: calls.append(event.stripe_id))
    held = _stored("test.held", "evt_held", created=1)
    _stored("test.held", "evt_free_1", created=2)
    _stored("test.held", "evt_free_2", created=3)
    locked, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def other_worker() -> None:  # holds the event's lock, then lets go without applying it
        try:
            with transaction.atomic():
                WebhookEvent.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(30)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    def task() -> None:
        try:
            webhooks.webhook_event_apply_batched(event_id=held.pk, limit=50)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    holder = threading.Thread(target=other_worker)
    holder.start()
    assert locked.wait(30)
    runner = threading.Thread(target=task)
    runner.start()
    # The task does not wait for the held event before applying the free ones.
    wait_until(lambda: _statuses()["evt_free_2"] == "applied", message=lambda: str(_statuses()))
    assert _statuses() == {"evt_held": "received", "evt_free_1": "applied", "evt_free_2": "applied"}
    release.set()
    holder.join(30)
    runner.join(30)
    assert errors == []
    assert _statuses()["evt_held"] == "applied"  # then the one-by-one path applied it
    assert sorted(calls) == ["evt_free_1", "evt_free_2", "evt_held"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_tasks_in_any_order_apply_every_event_exactly_once(register: Any) -> None:
    calls: Counter[str] = Counter()
    guard = threading.Lock()

    def count(event: WebhookEvent) -> None:
        with guard:
            calls[event.stripe_id] += 1

    register("test.many", count)
    ids = [_stored("test.many", f"evt_many_{n:02d}", created=n % 7).pk for n in range(40)]
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        order = ids[:]
        random.Random(seed).shuffle(order)
        try:
            barrier.wait()
            for event_id in order:
                webhooks.webhook_event_apply_batched(event_id=event_id, limit=6)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert set(_statuses().values()) == {"applied"}
    assert calls == Counter({f"evt_many_{n:02d}": 1 for n in range(40)})
    assert set(WebhookEvent.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_a_batch_size_of_one_is_the_one_by_one_path(register: Any, settings: Any) -> None:
    calls: list[str] = []
    register("test.single", lambda event: calls.append(event.stripe_id))
    settings.PAYMENTS_WEBHOOK_APPLY_BATCH = 1
    first = _stored("test.single", "evt_single_1")
    _stored("test.single", "evt_single_2")
    assert webhooks.webhook_event_apply_batched(event_id=first.pk).status == "applied"
    assert calls == ["evt_single_1"]
    assert _statuses()["evt_single_2"] == "received"
