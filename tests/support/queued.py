"""Which Celery tasks captured on-commit callbacks queue: published to the real broker, named, taken back."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from celery.signals import before_task_publish


def queued_tasks(callbacks: Iterable[Callable[[], Any]]) -> list[tuple[str, tuple[Any, ...], str]]:
    """Run the callbacks (from `django_capture_on_commit_callbacks(execute=False)`) and return each
    task they publish as (task name, args, schema), in order.

    The messages really go to this run's broker (Celery's own `before_task_publish` signal names
    them); they are purged afterwards so that no worker of a later test runs them. A count of
    callbacks says that something was queued; this says what, for which object and schema.
    """
    from config.celery import app

    published: list[tuple[str, tuple[Any, ...], str]] = []

    def record(sender: str | None = None, headers: dict[str, Any] | None = None, body: Any = None,
               **_: Any) -> None:
        headers = headers or {}
        args = tuple(body[0]) if isinstance(body, (list, tuple)) and body else ()
        published.append((headers.get("task", sender or ""), args, str(headers.get("_schema_name", ""))))

    before_task_publish.connect(record, weak=False)
    try:
        for callback in callbacks:
            callback()
    finally:
        before_task_publish.disconnect(record)
        app.control.purge()
    return published
