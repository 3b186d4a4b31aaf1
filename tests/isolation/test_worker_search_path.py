"""Issue 18, hole 10: with TENANT_LIMIT_SET_CALLS, a rolled-back transaction must not leave a
Celery worker's connection on another tenant's search_path.

PostgreSQL undoes a `SET search_path` with the transaction (or savepoint) that issued it;
with TENANT_LIMIT_SET_CALLS, django-tenants skips the SET while it believes the path is already
set. A wrapper that kept believing it after a rollback would run the task's next queries on the
last *committed* path (another schema), with no error. django-tenants 4.0.1 (pinned) forgets the
path on `rollback()` and `savepoint_rollback()` (upstream #1249, #1262), and Celery's Django fixup
gives every task a fresh connection; these tests hold both with the real worker, broker,
tenant-aware tasks and database, reading the path and the data (docs/adr/0046). Replacing the
two overrides by Django's own makes all three fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import ProgrammingError, connection, transaction
from django_tenants.utils import schema_context

from config.celery import app
from tests.factories.orders import sellable_variant

pytestmark = pytest.mark.django_db(transaction=True)


class _Abort(Exception):
    pass


def _where() -> dict[str, Any]:
    from catalog.models import Product

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), current_schemas(false)")
        pid, schemas = cursor.fetchone()
    try:
        products = sorted(Product.objects.values_list("name", flat=True))
    except ProgrammingError:  # no catalog in the public schema
        products = None
    return {"pid": pid, "schemas": list(schemas), "schema_name": connection.schema_name, "products": products}


@app.task(name="tests.isolation.search_path_probe")
def search_path_probe(roll_back: bool = False) -> dict[str, Any]:
    """Where the task's queries go; with `roll_back`, after its first query's transaction failed."""
    if roll_back:
        try:
            with transaction.atomic():
                # The task's first statement: django-tenants sends its SET search_path inside
                # this transaction, and the ROLLBACK undoes it.
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                raise _Abort
        except _Abort:
            pass  # a task that handles the failure and goes on (records it, retries later…)
    return _where()


@app.task(name="tests.isolation.connection_close")
def connection_close() -> None:
    connection.close()


def _django_worker_fixup() -> Any:
    from celery.fixups.django import DjangoFixup

    fixup = next(f for f in app._fixups if isinstance(f, DjangoFixup))  # type: ignore[attr-defined]
    return fixup.worker_fixup


@pytest.fixture(params=["fresh connection per task", "connection reused"])
def one_worker(request: pytest.FixtureRequest, transactional_db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[bool]:
    """A real worker with a single thread. Celery's Django fixup closes the connection around
    every task (CELERY_DB_REUSE_MAX unset, as in production); with reuse on, every task runs on
    the same connection, the case a stale search_path would need. Yields whether it is reused."""
    from celery.contrib.testing.worker import start_worker

    reused = request.param == "connection reused"
    if reused:
        monkeypatch.setattr(_django_worker_fixup(), "db_reuse_max", 1000)
    app.conf.task_always_eager = False
    with start_worker(app, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=30):
        yield reused
        if reused:  # the worker thread's connection would outlive the test database
            connection_close.delay().get(timeout=30)


def _run(schema: str, *, roll_back: bool = False) -> dict[str, Any]:
    with schema_context(schema):  # tenant-schemas-celery sends the schema in the task's headers
        result = search_path_probe.delay(roll_back=roll_back)
    return result.get(timeout=30)


def test_a_rolled_back_task_does_not_leave_the_worker_on_the_previous_vendor(one_worker, vendor_a, vendor_b):
    sellable_variant(vendor_a, name="Alpha lamp")
    sellable_variant(vendor_b, name="Beta chair")
    alpha, beta = vendor_a.store.schema_name, vendor_b.store.schema_name

    # Vendor A's task commits its SET search_path on the worker's connection (autocommit).
    first = _run(alpha)
    # Vendor B's task: its SET is rolled back with its transaction, then it reads on.
    second = _run(beta, roll_back=True)
    # A public task, then B again, on the same connection.
    third = _run("public", roll_back=True)
    fourth = _run(beta)

    pids = {first["pid"], second["pid"], third["pid"], fourth["pid"]}
    assert len(pids) == (1 if one_worker else 4), pids
    assert first["schemas"] == [alpha, "public"] and first["products"] == ["Alpha lamp"]
    assert second["schema_name"] == beta
    assert second["schemas"] == [beta, "public"], "B's task runs on another search_path after its rollback"
    assert second["products"] == ["Beta chair"], "B's task read another vendor's catalog"
    assert third["schemas"] == ["public"] and third["products"] is None
    assert fourth["schemas"] == [beta, "public"] and fourth["products"] == ["Beta chair"]


def test_a_savepoint_rollback_does_not_leave_the_connection_on_the_undone_schema(vendor_a, vendor_b):
    """The same on one connection for ROLLBACK TO SAVEPOINT when the schema was switched inside
    the savepoint (as django-tenants' migration executor does): the path goes back to A, the
    connection still says B, and the next query must set B again instead of reading A's rows."""
    from catalog.models import Product

    sellable_variant(vendor_a, name="Alpha lamp")
    sellable_variant(vendor_b, name="Beta chair")
    beta = vendor_b.store.schema_name
    with schema_context(vendor_a.store.schema_name), transaction.atomic():
        assert list(Product.objects.values_list("name", flat=True)) == ["Alpha lamp"]
        try:
            with transaction.atomic():
                connection.set_schema(beta)
                Product.objects.exists()  # SET search_path to B, inside the savepoint
                raise _Abort
        except _Abort:
            pass
        assert connection.schema_name == beta
        assert list(Product.objects.values_list("name", flat=True)) == ["Beta chair"]
