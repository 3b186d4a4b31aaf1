"""Dead-letter writes: record a task that failed for good, retry it by name, or discard it."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from support.errors import DeadLetterNotFound, DeadLetterNotOpen, DeadLetterRetryUnavailable
from support.models import DeadLetter, DeadLetterEvent

TRACEBACK_LINES = 40
TRACEBACK_CHARS = 8000


def _json_safe(value: Any) -> Any:
    # Tasks travel as JSON, so their arguments are JSON already; an eagerly run task's may not be.
    return json.loads(json.dumps(value, default=str))


def dead_letter_fingerprint(*, task_name: str, args: Any, kwargs: Any, schema_name: str) -> str:
    text = json.dumps([task_name, args, kwargs, schema_name], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def traceback_summary(text: str) -> str:
    """The end of a traceback (where it failed), short enough for a list row and a detail page."""
    lines = (text or "").rstrip().splitlines()[-TRACEBACK_LINES:]
    return "\n".join(lines)[-TRACEBACK_CHARS:]


def dead_letter_record(
    *, task_name: str, task_id: str, args: Any, kwargs: Any, schema_name: str, exc: BaseException,
    traceback: str, attempts: int,
) -> DeadLetter:
    """Record a task that failed for good; the same call failing again adds to its open letter."""
    args, kwargs = _json_safe(list(args or [])), _json_safe(dict(kwargs or {}))
    fingerprint = dead_letter_fingerprint(task_name=task_name, args=args, kwargs=kwargs, schema_name=schema_name)
    error = {"exception_type": f"{type(exc).__module__}.{type(exc).__qualname__}",
             "exception_message": str(exc)[:4000], "traceback": traceback_summary(traceback)}
    for _attempt in range(2):  # a concurrent first failure of the same call wins the insert
        try:
            with transaction.atomic():
                return _record(fingerprint, task_name=task_name, task_id=task_id, args=args, kwargs=kwargs,
                               schema_name=schema_name, attempts=attempts, error=error)
        except IntegrityError:
            continue
    raise RuntimeError(f"could not record the dead letter of {task_name}")


def _record(fingerprint: str, *, task_name: str, task_id: str, args: list[Any], kwargs: dict[str, Any],
            schema_name: str, attempts: int, error: dict[str, str]) -> DeadLetter:
    now = timezone.now()
    letter = DeadLetter.objects.select_for_update().filter(
        fingerprint=fingerprint, status=DeadLetter.Status.OPEN).first()
    if letter is None:
        letter = DeadLetter.objects.create(
            fingerprint=fingerprint, task_name=task_name, task_id=task_id, args=args, kwargs=kwargs,
            schema_name=schema_name, attempts=attempts, first_failed_at=now, last_failed_at=now, **error)
        DeadLetterEvent.objects.create(dead_letter=letter, action=DeadLetterEvent.Action.RECORDED,
                                       data={"task_id": task_id, "attempts": attempts})
        return letter
    for field, value in error.items():
        setattr(letter, field, value)
    letter.task_id, letter.attempts, letter.last_failed_at = task_id, attempts, now
    letter.failures += 1
    letter.save(update_fields=["task_id", "attempts", "last_failed_at", "failures", *error])
    DeadLetterEvent.objects.create(dead_letter=letter, action=DeadLetterEvent.Action.FAILED_AGAIN,
                                   data={"task_id": task_id, "attempts": attempts})
    return letter


def _open_letter(dead_letter_id: int) -> DeadLetter:
    letter = DeadLetter.objects.select_for_update().filter(pk=dead_letter_id).first()
    if letter is None:
        raise DeadLetterNotFound(_("No such dead letter."))
    if letter.status != DeadLetter.Status.OPEN:
        raise DeadLetterNotOpen(_("This task was already %(status)s.") % {"status": letter.get_status_display()})
    return letter


@transaction.atomic
def dead_letter_retry(*, dead_letter_id: int, user: Any) -> DeadLetter:
    """Send the task again by name, with the same arguments, in the same schema.

    The message goes out before the commit: if the broker refuses it, nothing changes and the
    letter stays open. Every task is safe to run twice (docs/reliability.md), so a commit that
    failed after the send costs a duplicate run, never lost work.
    """
    from celery import current_app
    from kombu.exceptions import OperationalError as BrokerError

    letter = _open_letter(dead_letter_id)
    if letter.task_name not in current_app.tasks:
        raise DeadLetterNotOpen(_("No task named %(name)s exists any more; discard it.") % {"name": letter.task_name})
    task_id = str(uuid.uuid4())
    try:
        current_app.send_task(letter.task_name, args=letter.args, kwargs=letter.kwargs, task_id=task_id,
                              headers={"_schema_name": letter.schema_name})
    except BrokerError as exc:
        raise DeadLetterRetryUnavailable(_("The task queue is unavailable; try again shortly.")) from exc
    return _resolve(letter, DeadLetter.Status.RETRIED, user=user, retry_task_id=task_id)


@transaction.atomic
def dead_letter_discard(*, dead_letter_id: int, user: Any) -> DeadLetter:
    """Close a letter whose work ops handled another way (or that must not run again)."""
    return _resolve(_open_letter(dead_letter_id), DeadLetter.Status.DISCARDED, user=user)


def _resolve(letter: DeadLetter, status: str, *, user: Any, retry_task_id: str = "") -> DeadLetter:
    letter.status, letter.resolved_at, letter.resolved_by = status, timezone.now(), user
    letter.retry_task_id = retry_task_id
    letter.save(update_fields=["status", "resolved_at", "resolved_by", "retry_task_id"])
    action = DeadLetterEvent.Action.RETRIED if status == DeadLetter.Status.RETRIED else DeadLetterEvent.Action.DISCARDED
    DeadLetterEvent.objects.create(dead_letter=letter, action=action, actor=user,
                                   data={"retry_task_id": retry_task_id} if retry_task_id else {})
    return letter
