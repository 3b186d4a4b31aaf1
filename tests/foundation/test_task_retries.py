"""Tasks retry transient failures (with backoff) and never domain errors."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from celery.signals import task_retry
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from common.exceptions import ApplicationError
from config.celery import app
from payouts import exports
from payouts.errors import TransferReversalInvalid
from payouts.models import ExportJob

PROJECT_APPS = ("catalog", "common", "disputes", "fulfillment", "orders", "payments", "payouts",
                "tenants", "vendors")


def _project_tasks() -> list[Any]:
    app.loader.import_default_modules()
    return [task for name, task in sorted(app.tasks.items()) if name.split(".")[0] in PROJECT_APPS]


def test_tasks_retry_only_transient_errors_with_bounded_backoff():
    tasks = _project_tasks()
    retrying = [task for task in tasks if getattr(task, "autoretry_for", ())]
    assert len(retrying) >= 10, [task.name for task in retrying]  # the scan finds them
    for task in retrying:
        # Exception (or an ApplicationError base) would retry a refused request over and over.
        assert not any(issubclass(ApplicationError, kind) for kind in task.autoretry_for), task.name
        # Celery jitters unless told not to: a burst of failures must not retry in step.
        assert getattr(task, "retry_backoff", False) and getattr(task, "retry_jitter", True), task.name
        assert task.max_retries is not None and task.max_retries <= 8, task.name


@pytest.fixture
def retries() -> Iterator[list[BaseException]]:
    """The exceptions each retry of an applied task was for (Celery's `task_retry` signal)."""
    seen: list[BaseException] = []

    def record(sender: Any = None, reason: Any = None, **kwargs: Any) -> None:
        seen.append(reason.exc)

    task_retry.connect(record, weak=False)
    yield seen
    task_retry.disconnect(record)


@pytest.fixture
def lock_timeout() -> Iterator[None]:
    """This connection gives up waiting for a row lock after 200 ms, as a lock or a deadlock
    under load makes it fail: PostgreSQL's lock_not_available, an OperationalError."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '200ms'")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")


def _export_job() -> ExportJob:
    today = timezone.now().date()
    params = exports.export_params_clean(kind="payout_report", params={
        "date_from": (today - dt.timedelta(days=2)).isoformat(), "date_to": today.isoformat()})
    return ExportJob.objects.create(kind="payout_report", format="csv", params=params,
                                    params_checksum="task-retries-test")


@pytest.mark.django_db(transaction=True)
def test_a_lock_timeout_is_retried_and_the_retry_runs_the_task(settings, tmp_path, lock_timeout, retries):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    job = _export_job()
    locked, release = threading.Event(), threading.Event()

    def hold_the_row() -> None:  # another session holds the job's row lock until the first retry
        try:
            with transaction.atomic():
                ExportJob.objects.select_for_update().get(pk=job.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    assert locked.wait(timeout=10)

    def unlock_on_retry(**kwargs: Any) -> None:
        release.set()
        holder.join(timeout=10)

    task_retry.connect(unlock_on_retry, weak=False)
    try:
        from payouts.tasks import export_job_run

        result = export_job_run.apply(args=[job.pk])
    finally:
        task_retry.disconnect(unlock_on_retry)
        release.set()
        holder.join(timeout=10)
    assert [type(exc) for exc in retries] == [OperationalError]
    assert "lock timeout" in str(retries[0])
    assert result.successful() and result.get() == ExportJob.Status.DONE
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE


@pytest.mark.django_db
def test_a_domain_error_is_not_retried(retries):
    from payouts.tasks import transfer_recover_refund

    result = transfer_recover_refund.apply(args=[1, 0, "refund-zero"])
    assert result.failed()
    assert isinstance(result.result, TransferReversalInvalid)
    assert retries == []


def test_the_old_recovery_task_forwards_to_payouts_by_name():
    """A message queued under fulfilment's old task name (before order events) still reaches
    payouts' recovery, with the same arguments, through the broker."""
    from celery.signals import before_task_publish

    from fulfillment.tasks import cancelled_units_recover

    published: list[tuple[str, Any]] = []

    def record(sender: Any = None, body: Any = None, **kwargs: Any) -> None:
        published.append((sender, body[0] if isinstance(body, tuple) else body))

    before_task_publish.connect(record, weak=False)
    try:
        assert cancelled_units_recover.apply(args=[7, 250, "re_1"]).get() == "forwarded"
    finally:
        before_task_publish.disconnect(record)
        app.control.purge()
    assert published == [("payouts.tasks.transfer_recover_refund", [7, 250, "re_1"])]
