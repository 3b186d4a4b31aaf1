"""Fixtures shared by the whole suite: the public tenant, two live vendors, tenant clients, workers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.db import connection
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from django.test import Client
from django_tenants.utils import schema_context
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tenants.services import public_tenant_ensure
from tests.factories import UserFactory, live_vendor
from tests.factories.accounts import PASSWORD
from tests.support.waiting import wait_until
from vendors.models import Vendor

# Property tests run beside real PostgreSQL, Valkey and Celery on two cores: a wall-clock health
# check or deadline would measure the machine's load, not the strategy or the code under test.
hypothesis_settings.register_profile("suite", suppress_health_check=[HealthCheck.too_slow], deadline=None)
hypothesis_settings.load_profile("suite")

# Fixtures shared across packages live in plugin modules; tests never import a conftest.
pytest_plugins = [
    "tests.fixtures.catalog",
    "tests.fixtures.clock",
    "tests.fixtures.stripe",
    "tests.fixtures.payments",
    "tests.fixtures.browser",
    "tests.fixtures.domains",
]

# The test live server is Django's threaded WSGI server, whose listen backlog is 10: tests that
# post two dozen webhook deliveries at the same instant overflow it and see connection resets on
# a loaded machine. Production servers (gunicorn) listen with a backlog of 2048.
WSGIServer.request_queue_size = 128

PLATFORM_HOST = "marketplace.localhost"


def _sql_flush_written_tables(self: Any, style: Any, tables: Any, *, reset_sequences: bool = False,
                              allow_cascade: bool = False) -> list[str]:
    """A committing test's teardown empties only the tables holding rows: one probe instead of
    truncating every table (each TRUNCATE makes new files for the table and its indexes; about
    1 s per committing test). CASCADE, since a referencing table may be left out as empty.
    Content types and permissions are kept: they are made from the code by the post-migrate
    signal the flush sends, which then only finds them there (instead of inserting them all)."""
    tables = list(tables)
    if tables and not reset_sequences:
        tables = [table for table in tables if table not in _MADE_FROM_THE_CODE]
        with self.connection.cursor() as cursor:
            tables = _holding_rows(cursor, tables, [[self.quote_name(table)] for table in tables])
        allow_cascade = True
    return _sql_flush_every_table(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)


def _holding_rows(cursor: Any, names: list[str], sources: list[list[str]]) -> list[str]:
    """The names whose quoted tables (any of each name's `sources`) hold a row, in one query."""
    if not names:
        return []
    probe = " UNION ALL ".join(
        f"SELECT {index} WHERE " + " OR ".join(f"EXISTS (SELECT 1 FROM {table})" for table in tables)  # nosec B608
        for index, tables in enumerate(sources))
    cursor.execute(probe)
    return [names[row[0]] for row in cursor.fetchall()]


_MADE_FROM_THE_CODE = {"django_content_type", "auth_permission"}
_sql_flush_every_table = PostgresOperations.sql_flush
PostgresOperations.sql_flush = _sql_flush_written_tables  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Migrate once, then create the public tenant and the two shared vendors, committed.

    Vendor schemas are provisioned once per test session and reused by every test: tests run
    in transactions that roll back, so the schemas stay clean between them.
    """
    global _BASELINE_READY
    with django_db_blocker.unblock():
        _committed_baseline_ensure()
    _BASELINE_READY = True
    yield


_BASELINE_READY = False


def _committed_baseline_ensure() -> None:
    """The public tenant, the schema template's row and the two shared vendors, committed."""
    connection.set_schema_to_public()
    public_tenant_ensure()
    with _shared_schemas_reused():
        live_vendor("alpha")
        live_vendor("bravo")


SHARED_VENDOR_SCHEMAS = ("v_alpha", "v_bravo")


@contextmanager
def _shared_schemas_reused() -> Iterator[None]:
    """After a committing test flushed the public tables, the shared vendors' schemas are still
    there, holding what that test wrote: they are emptied back to what a fresh clone of the
    template holds (its rows and sequence positions), and provisioning adopts them instead of
    dropping and cloning them again (about 1 s each, after every committing test of a run)."""
    from tenants import services

    reusable = {schema for schema in SHARED_VENDOR_SCHEMAS if _schema_reset_to_template(schema)}
    if not reusable:
        yield
        return
    drop, create = services._schema_drop, services._schema_create

    def drop_unless_reused(schema_name: str, **kwargs: Any) -> None:
        if schema_name not in reusable:
            drop(schema_name, **kwargs)

    def create_unless_reused(store: Any) -> None:
        if store.schema_name not in reusable:
            create(store)

    services._schema_drop, services._schema_create = drop_unless_reused, create_unless_reused
    try:
        yield
    finally:
        services._schema_drop, services._schema_create = drop, create


def _schema_reset_to_template(schema: str) -> bool:
    """Empty `schema` back to the template's contents when it has no store row (flushed) and was
    migrated exactly as the template was; False (left alone) otherwise."""
    base = settings.TENANT_BASE_SCHEMA
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM tenants_store WHERE schema_name = %s", [schema])
        if cursor.fetchone() is not None:
            return False
        cursor.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema = ANY(%s) AND table_type = 'BASE TABLE'", [[schema, base]])
        tables: dict[str, set[str]] = {schema: set(), base: set()}
        for owner, table in cursor.fetchall():
            tables[owner].add(table)
        if not tables[schema] or tables[schema] != tables[base]:
            return False
        migrations = 'SELECT app, name FROM "{}".django_migrations ORDER BY app, name'
        cursor.execute(migrations.format(schema))  # nosec B608  # our own schema names
        applied = cursor.fetchall()
        cursor.execute(migrations.format(base))  # nosec B608
        if applied != cursor.fetchall():
            return False
        data = sorted(tables[schema] - {"django_migrations"})
        # Tables this schema wrote to, and those a fresh clone holds rows of (the template's).
        dirty = _holding_rows(cursor, data, [[f'"{schema}"."{table}"', f'"{base}"."{table}"'] for table in data])
        if dirty:
            cursor.execute("TRUNCATE " + ", ".join(f'"{schema}"."{table}"' for table in dirty) + " CASCADE")
            for table in dirty:
                cursor.execute(f'INSERT INTO "{schema}"."{table}" SELECT * FROM "{base}"."{table}"')  # nosec B608
        # Sequences where the template's are (a fresh clone's ids).
        cursor.execute("SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = %s", [base])
        for (sequence,) in cursor.fetchall():
            cursor.execute(f'SELECT last_value, is_called FROM "{base}"."{sequence}"')  # nosec B608
            last_value, is_called = cursor.fetchone()
            cursor.execute("SELECT setval(%s::regclass, %s, %s)", [f'"{schema}"."{sequence}"', last_value, is_called])
    return True


def _baseline_intact() -> bool:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM tenants_store WHERE status = 'ready' AND schema_name = ANY(%s)",
            [["public", settings.TENANT_BASE_SCHEMA, "v_alpha", "v_bravo"]],
        )
        stores = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM vendors_vendor WHERE slug IN ('alpha', 'bravo')")
        vendors = cursor.fetchone()[0]
    return stores == 4 and vendors == 2


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """Before a database test's transaction begins: if a committing test before it flushed the
    public tables (or dropped the template's row), put the shared vendors back once, committed.
    Otherwise every later `vendor_a` re-made them inside its own rolled-back transaction: the
    template schema migrated from scratch and both vendor schemas cloned again, 15-25 s a test
    in a full run (py-spy: most of a worker's time in `template_schema_ensure`)."""
    if _BASELINE_READY and item.get_closest_marker("django_db") is not None:
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            if not _baseline_intact():
                _committed_baseline_ensure()
    yield


@pytest.fixture(autouse=True)
def _security_counters_reset() -> Iterator[None]:
    """Sign-in limits, used 2FA codes and rate limits are shared by every host and every test
    (all from 127.0.0.1): each test starts with fresh ones."""
    yield
    from django_redis import get_redis_connection

    from common.cache import SHARED_NAMESPACE

    redis = get_redis_connection("default")
    keys = list(redis.scan_iter(f"{SHARED_NAMESPACE}:*", count=1000))
    if keys:
        redis.delete(*keys)


@pytest.fixture(autouse=True)
def _public_schema_after_test() -> Iterator[None]:
    yield
    connection.set_schema_to_public()


def _ensure_vendor(slug: str) -> Vendor:
    # After a transactional test flushes the public tables, recreate the row (the schema is reused).
    public_tenant_ensure()
    return live_vendor(slug)


@pytest.fixture
def vendor_a(db: Any) -> Vendor:
    return _ensure_vendor("alpha")


@pytest.fixture
def vendor_b(db: Any) -> Vendor:
    return _ensure_vendor("bravo")


@pytest.fixture
def owner_a(vendor_a: Vendor) -> Any:
    return vendor_a.memberships.get(role="owner").user


@pytest.fixture
def owner_b(vendor_b: Vendor) -> Any:
    return vendor_b.memberships.get(role="owner").user


class TenantClient(Client):
    """A test client bound to one host (platform or a vendor's)."""

    def __init__(self, host: str, **kwargs: Any) -> None:
        super().__init__(HTTP_HOST=host, **kwargs)
        self.host = host


@pytest.fixture
def platform_client(db: Any) -> TenantClient:
    public_tenant_ensure()
    return TenantClient(PLATFORM_HOST)


@pytest.fixture
def client_for(db: Any) -> Any:
    """`client_for(vendor_or_host, user=None)` → a client on that host, logged in if a user is given."""
    # A transactional test before this one may have flushed the public tenant's hosts.
    public_tenant_ensure()

    def make(target: Vendor | str, user: Any = None) -> TenantClient:
        host = target if isinstance(target, str) else target.host
        client = TenantClient(host)
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def buyer(db: Any) -> Any:
    return UserFactory(email="buyer@example.com")


@pytest.fixture
def admin_user(db: Any) -> Any:
    return UserFactory(email="admin@example.com", platform_role="admin")


@pytest.fixture
def finance_user(db: Any) -> Any:
    return UserFactory(email="finance@example.com", platform_role="finance")


@pytest.fixture
def in_schema() -> Any:
    """`with in_schema(vendor):` runs ORM calls in the vendor's schema."""

    def enter(vendor: Vendor) -> Any:
        return schema_context(vendor.store.schema_name)

    return enter


@pytest.fixture(autouse=True)
def _broker_empty_after_committing_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test that commits (transactional), drop the tasks it left in the broker.

    Their rows are flushed with the test, but the messages stay queued in this worker's broker
    database, and the next test's Celery worker would run them against that test's data: a relay
    queued for `v_alpha` by one test ran while the next test was re-creating `v_alpha`, and
    published the old schema's products as the new vendor's listings.
    """
    yield
    marker = request.node.get_closest_marker("django_db")
    committing = "transactional_db" in request.fixturenames or "live_server" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction", False))
    if committing:
        from config.celery import app

        app.control.purge()


@pytest.fixture
def moto_s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any]]:
    """A local S3 (moto's server, in a thread) with test credentials: (endpoint URL, boto3 client).
    Create buckets with `tests.support.s3.create_bucket`; point the settings at the endpoint."""
    import boto3
    from moto.server import ThreadedMotoServer

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        yield endpoint, boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-1")
    finally:
        server.stop()


@pytest.fixture
def task_worker(transactional_db: Any) -> Iterator[Any]:
    """A real Celery worker (threads pool) consuming from the real broker, in this process."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.conf.task_always_eager = False
    from celery.worker import state

    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False,
                      shutdown_timeout=30) as worker:
        yield worker
        # Let the tasks the test set off finish before the worker stops: a thread still inside one
        # would hold row locks while the test database is flushed (a deadlock at teardown).
        wait_until(lambda: not (state.active_requests or state.reserved_requests), timeout=30,
                   message="the worker's tasks did not finish")


__all__ = ["PASSWORD", "TenantClient"]
