"""Inbound Stripe webhooks: the handler registry, intake (verify, store once) and application.

Intake stores each event once by its Stripe id (`INSERT … ON CONFLICT DO NOTHING`) and answers at
once; a Celery task applies it under a row lock, so concurrent duplicates apply exactly once.
Handlers live in each app's `webhook_handlers.py` (autodiscovered by `PaymentsConfig.ready`):

    from payments.webhooks import webhook_handler

    @webhook_handler("account.updated")
    def account_updated(event: WebhookEvent) -> None: ...

A handler runs inside the applying transaction, must be idempotent and must tolerate any order of
arrival (compare `event.created` with the state held, or re-fetch through the gateway).
See docs/adr/0017-webhook-intake.md.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from payments import gateway
from payments.connected_accounts import connected_account_known
from payments.errors import WebhookEventNotReplayable, WebhookRejected
from payments.models import WebhookEvent

logger = logging.getLogger(__name__)

Handler = Callable[[WebhookEvent], None]
_HANDLERS: dict[str, list[Handler]] = {}

# A duplicate delivery of an event still `received` after this long queues it again (the first
# task may have been lost with a broker restart).
STUCK_AFTER = timedelta(seconds=60)


def webhook_handler(*event_types: str) -> Callable[[Handler], Handler]:
    """Register `fn(event)` as an applier of these event types (several handlers may share one)."""
    if not event_types:
        raise ValueError("webhook_handler needs at least one event type")

    def register(fn: Handler) -> Handler:
        for event_type in event_types:
            handlers = _HANDLERS.setdefault(event_type, [])
            if fn not in handlers:
                handlers.append(fn)
        return fn

    return register


def handlers_for(event_type: str) -> list[Handler]:
    return list(_HANDLERS.get(event_type, ()))


def handled_event_types() -> list[str]:
    return sorted(event_type for event_type, handlers in _HANDLERS.items() if handlers)


# ---------------------------------------------------------------------------------------------
# intake
# ---------------------------------------------------------------------------------------------
_INSERT_SQL = """
INSERT INTO {table} (
    stripe_id, type, account, created, livemode, api_version, payload, raw_body, received_at,
    status, attempts, last_error, applied_at, duplicate_deliveries
) VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, 0, '', NULL, 0)
ON CONFLICT (stripe_id) DO NOTHING
RETURNING id
"""


def webhook_event_receive(*, payload: bytes, signature: str | None) -> tuple[WebhookEvent, bool]:
    """Verify and store one delivery. Returns (event, created); a duplicate stores nothing.

    Raises WebhookRejected (400) for a bad or missing signature, a stale timestamp, a body that is
    not a Stripe event, or an event about a connected account that is not one of our vendors.
    """
    data = gateway.webhook_payload_verify(payload=payload, signature=signature)
    account = data.get("account") or ""
    if account and not connected_account_known(account):
        raise WebhookRejected(
            f"The event is about an unknown connected account {account}.", code="account_unknown"
        )
    event_type = data["type"]
    status = WebhookEvent.Status.RECEIVED if handlers_for(event_type) else WebhookEvent.Status.IGNORED
    now = timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                _INSERT_SQL.format(table=connection.ops.quote_name(WebhookEvent._meta.db_table)),
                [
                    data["id"], event_type, account, int(data["created"]),
                    bool(data.get("livemode")), str(data.get("api_version") or "")[:32],
                    json.dumps(data), payload.decode("utf-8"), now, status,
                ],
            )
            row = cursor.fetchone()
        if row is not None:
            event = WebhookEvent.objects.get(pk=row[0])
            if status == WebhookEvent.Status.RECEIVED:
                _enqueue_on_commit(event.pk)
            return event, True
        WebhookEvent.objects.filter(stripe_id=data["id"]).update(
            duplicate_deliveries=F("duplicate_deliveries") + 1
        )
        event = WebhookEvent.objects.get(stripe_id=data["id"])
        if event.status == WebhookEvent.Status.RECEIVED and event.received_at < now - STUCK_AFTER:
            _enqueue_on_commit(event.pk)
        return event, False


def _enqueue(event_id: int) -> None:
    """Queue the apply task; a broker outage must not fail the webhook answer (the event is
    stored: the periodic `webhook_events_requeue_stuck` or Stripe's next retry queues it again)."""
    from payments.tasks import webhook_event_apply as apply_task

    try:
        apply_task.apply_async(
            args=[event_id], retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2},
        )
    except Exception:
        logger.exception("could not queue webhook event %s; it stays received", event_id)


def _enqueue_on_commit(event_id: int) -> None:
    transaction.on_commit(lambda: _enqueue(event_id))


# ---------------------------------------------------------------------------------------------
# application
# ---------------------------------------------------------------------------------------------
_DONE = (WebhookEvent.Status.APPLIED, WebhookEvent.Status.IGNORED)


class _HandlerFailed(Exception):
    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def webhook_event_apply(*, event_id: int) -> WebhookEvent:
    """Apply one stored event exactly once (row lock + status); failures are recorded, not raised.

    The handlers and the `applied` mark share one transaction. When a handler raises, that whole
    transaction is rolled back (its writes undone) and a second one marks the event `failed` with
    the error, which the caller (the task) retries with backoff. (One transaction rather than a
    savepoint around the handlers: two fewer round trips on every event, ADR 0017.)
    """
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.select_for_update().get(pk=event_id)
            if event.status in _DONE:
                return event
            handlers = handlers_for(event.type)
            if not handlers:
                event.status = WebhookEvent.Status.IGNORED
                event.save(update_fields=["status"])
                return event
            event.attempts += 1  # handlers see which attempt this is
            try:
                for handler in handlers:
                    handler(event)
            except Exception as exc:  # any handler failure is recorded and retried
                raise _HandlerFailed(exc) from exc
            event.status = WebhookEvent.Status.APPLIED
            event.applied_at = timezone.now()
            event.last_error = ""
            event.save(update_fields=["status", "attempts", "last_error", "applied_at"])
            return event
    except _HandlerFailed as failure:
        return _event_failed(event_id, failure.cause)


# Events of one connected account applied together by one task (see webhook_event_apply_batched);
# `PAYMENTS_WEBHOOK_APPLY_BATCH` overrides it (1: one event per transaction).
APPLY_BATCH_SIZE = 50


class _BatchAbandoned(Exception):
    """A batch that cannot commit as a whole: its events are applied one by one instead."""


class _BatchEventFailed(Exception):
    def __init__(self, event_id: int, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.event_id = event_id
        self.cause = cause


@contextmanager
def _savepoints_off() -> Iterator[None]:
    """Nested `atomic` blocks (the handlers' services) open no savepoint while this holds.

    Only for a batch that is abandoned whole on any error: a savepoint could not save anything
    there, and each one costs two round trips. A handler that swallowed a database error leaves
    `needs_rollback` set, which the batch checks before committing.
    """
    features = connection.features
    features.uses_savepoints = False
    try:
        yield
    finally:
        del features.uses_savepoints  # back to the backend class's value


def webhook_event_apply_batched(*, event_id: int, limit: int | None = None) -> WebhookEvent:
    """Apply this event together with up to `limit - 1` other waiting events of its account.

    One transaction for the batch: waiting events are locked with `FOR UPDATE SKIP LOCKED` (this
    one first), so workers take disjoint batches and never wait for each other; the handlers run
    in Stripe order (`created`, then id) without savepoints, and one UPDATE marks them applied.
    Every event keeps its own task: the others' tasks find them applied after one read.

    When this event's handler fails, the batch is rolled back and the event recorded `failed` (its
    task retries it alone, with backoff), as when applied alone. Otherwise the one-by-one path
    decides this event when the batch does not settle it: when another event of the batch fails
    (rolled back whole; that event's own task deals with it), or when another worker's batch holds
    this one (this worker applies a batch of other waiting events first, then waits for that
    lock). `webhook_event_apply` then applies it alone or finds it applied: the guarantees of
    applying one at a time. See
    docs/adr/0063-webhook-batch-application.md.
    """
    if limit is None:
        limit = int(getattr(settings, "PAYMENTS_WEBHOOK_APPLY_BATCH", APPLY_BATCH_SIZE))
    if limit <= 1:
        return webhook_event_apply(event_id=event_id)
    current = WebhookEvent.objects.defer("payload", "raw_body").get(pk=event_id)
    if current.status in _DONE:
        return current
    try:
        own = _apply_batch(event_id=event_id, account=current.account, limit=limit)
    except _BatchEventFailed as failure:
        if failure.event_id == event_id:  # this task's event: its attempt failed, as alone
            return _event_failed(event_id, failure.cause)
        logger.info("webhook batch with event %s rolled back (event %s failed); applying it alone",
                    event_id, failure.event_id)
        own = None
    except Exception:
        logger.info("webhook batch with event %s rolled back; applying it alone", event_id, exc_info=True)
        own = None
    return own if own is not None else webhook_event_apply(event_id=event_id)


def _apply_batch(*, event_id: int, account: str, limit: int) -> WebhookEvent | None:
    """Apply a batch of waiting events of `account`; this event (if it was free to take) or None."""
    with transaction.atomic():
        batch = list(
            WebhookEvent.objects.select_for_update(skip_locked=True)
            .filter(account=account, status=WebhookEvent.Status.RECEIVED)
            .order_by(Case(When(pk=event_id, then=Value(0)), default=Value(1)), "created", "id")[:limit]
        )
        batch.sort(key=lambda event: (event.created, event.stripe_id))
        with _savepoints_off():
            for event in batch:
                event.attempts += 1
                try:
                    for handler in handlers_for(event.type):
                        handler(event)
                except DatabaseError:
                    raise  # maybe the echo of an error another handler swallowed: no one to blame
                except Exception as exc:  # the batch is rolled back; who failed decides what next
                    raise _BatchEventFailed(event.pk, exc) from exc
        if connection.needs_rollback:  # a handler swallowed a database error
            raise _BatchAbandoned(f"a handler left the transaction of event {event_id}'s batch broken")
        now = timezone.now()
        handled = {event.pk for event in batch if handlers_for(event.type)}
        if handled:
            WebhookEvent.objects.filter(pk__in=handled).update(
                status=WebhookEvent.Status.APPLIED, applied_at=now, last_error="", attempts=F("attempts") + 1)
        unhandled = [event.pk for event in batch if event.pk not in handled]
        if unhandled:  # no handler any more (the registry changed since intake)
            WebhookEvent.objects.filter(pk__in=unhandled).update(status=WebhookEvent.Status.IGNORED)
    own = next((event for event in batch if event.pk == event_id), None)
    if own is None:
        return None
    if own.pk in handled:
        own.status, own.applied_at, own.last_error = WebhookEvent.Status.APPLIED, now, ""
    else:
        own.status, own.attempts = WebhookEvent.Status.IGNORED, own.attempts - 1
    return own


def _event_failed(event_id: int, exc: BaseException) -> WebhookEvent:
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().get(pk=event_id)
        if event.status in _DONE:  # applied by a concurrent delivery meanwhile
            return event
        event.attempts += 1
        event.status = WebhookEvent.Status.FAILED
        event.last_error = _error_text(exc)
        event.save(update_fields=["status", "attempts", "last_error"])
    logger.warning("webhook %s (%s) failed on attempt %d: %s", event.stripe_id, event.type, event.attempts, exc)
    return event


def _error_text(exc: BaseException) -> str:
    summary = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    frames = "".join(traceback.format_tb(exc.__traceback__, limit=-3))
    return f"{summary}\n{frames}"[:4000]


@transaction.atomic
def webhook_event_replay(*, event_id: int, force: bool = False) -> WebhookEvent:
    """Queue a stored event to be applied again: failed ones, or any with `force`.

    Handlers are idempotent, so replaying an applied event is harmless; it is still opt-in.
    """
    event = WebhookEvent.objects.select_for_update().get(pk=event_id)
    if not force and event.status != WebhookEvent.Status.FAILED:
        raise WebhookEventNotReplayable(
            f"Only failed events can be replayed; {event.stripe_id} is {event.status}."
        )
    event.status = WebhookEvent.Status.RECEIVED
    event.applied_at = None
    event.save(update_fields=["status", "applied_at"])
    _enqueue_on_commit(event.pk)
    logger.info("webhook %s (%s) queued for replay", event.stripe_id, event.type)
    return event


def webhook_events_requeue_stuck(*, older_than: timedelta = STUCK_AFTER) -> int:
    """Queue again every event still `received` after `older_than` (lost tasks)."""
    cutoff = timezone.now() - older_than
    ids = list(
        WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED, received_at__lt=cutoff)
        .values_list("pk", flat=True)[:1000]
    )
    with transaction.atomic():
        for event_id in ids:
            _enqueue_on_commit(event_id)
    return len(ids)


def event_summary(event: WebhookEvent) -> dict[str, Any]:
    obj = event.data_object
    return {"object": obj.get("object"), "object_id": obj.get("id"), "status": obj.get("status")}
