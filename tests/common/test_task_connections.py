"""Database connections around Celery tasks (config.celery.TaskConnectionFixup, ADR 0063): a task
declared `keeps_db_connection` keeps its connection between tasks in a prefork worker; every
other task, and every task of a thread pool, gets a fresh one."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection

from config.celery import TaskConnectionFixup, app
from payments.tasks import webhook_event_apply

pytestmark = pytest.mark.django_db(transaction=True)


def _fixup(monkeypatch: pytest.MonkeyPatch, *, prefork: bool) -> TaskConnectionFixup:
    fixup = TaskConnectionFixup(app)
    monkeypatch.setattr(fixup, "_is_prefork", lambda: prefork)
    return fixup


def _task(keeps: bool) -> Any:
    return SimpleNamespace(keeps_db_connection=keeps, request=SimpleNamespace(is_eager=False))


def _around_a_task(fixup: TaskConnectionFixup, task: Any) -> Any:
    connection.ensure_connection()
    before = connection.connection
    fixup.on_task_prerun(sender=task)
    connection.ensure_connection()
    fixup.on_task_postrun(sender=task)
    return before


def test_the_webhook_apply_task_keeps_its_connection_in_a_prefork_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    assert webhook_event_apply.keeps_db_connection is True
    before = _around_a_task(_fixup(monkeypatch, prefork=True), _task(True))
    assert connection.connection is before and not before.closed


def test_other_tasks_get_a_fresh_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    before = _around_a_task(_fixup(monkeypatch, prefork=True), _task(False))
    assert connection.connection is None and before.closed


def test_a_thread_pool_gives_every_task_a_fresh_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    before = _around_a_task(_fixup(monkeypatch, prefork=False), _task(True))
    assert connection.connection is None and before.closed


def test_a_kept_connection_that_saw_an_error_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    fixup = _fixup(monkeypatch, prefork=True)
    connection.ensure_connection()
    before = connection.connection
    connection.errors_occurred = True  # what a failed statement leaves
    monkeypatch.setattr(connection, "is_usable", lambda: False)
    fixup.on_task_prerun(sender=_task(True))
    assert connection.connection is None and before.closed
