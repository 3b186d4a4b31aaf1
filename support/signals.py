"""Celery's failure hook: a task that failed for good (retries exhausted, or an error not retried)
is recorded as a dead letter, whatever app it belongs to."""

from __future__ import annotations

import logging
from typing import Any

from celery.signals import task_failure

logger = logging.getLogger(__name__)


def _schema_of(task: Any) -> str:
    request = getattr(task, "request", None)
    headers = getattr(request, "headers", None) or {}
    schema = headers.get("_schema_name") or (request.get("_schema_name") if request is not None else None)
    return str(schema or "public")


def task_failed(sender: Any = None, task_id: str | None = None, exception: BaseException | None = None,
                args: Any = None, kwargs: Any = None, einfo: Any = None, **_: Any) -> None:
    from django.db import connection
    from django_tenants.utils import schema_context

    from support.services import dead_letter_record

    request = getattr(sender, "request", None)
    try:
        if not connection.in_atomic_block:
            # The task may have failed because its connection broke: take a fresh one.
            connection.close_if_unusable_or_obsolete()
        with schema_context("public"):
            dead_letter_record(
                task_name=getattr(sender, "name", "unknown"), task_id=task_id or "",
                args=args if args is not None else getattr(request, "args", []),
                kwargs=kwargs if kwargs is not None else getattr(request, "kwargs", {}),
                schema_name=_schema_of(sender), exc=exception or RuntimeError("unknown failure"),
                traceback=str(getattr(einfo, "traceback", "") or ""),
                attempts=int(getattr(request, "retries", 0) or 0) + 1,
            )
    except Exception:
        # The database may be what failed: the worker's log is then the only record.
        logger.exception("could not record the dead letter of task %s (%s)", getattr(sender, "name", "?"), task_id)


def connect() -> None:
    task_failure.connect(task_failed, weak=False, dispatch_uid="support.dead_letter")
