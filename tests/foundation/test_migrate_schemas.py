"""`migrate_schemas` across vendor schemas (ADR 0060): a schema behind is migrated, a schema up to
date is skipped without running Django's migrate for it, a failing schema is named and the command
exits non-zero while the other schemas are still migrated."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.signals import schema_migrated

from tenants import services
from tenants.db import tenant_connection
from tenants.migration_executor import code_migrations, schema_fingerprints
from tenants.models import Store

ROOT = Path(__file__).resolve().parents[2]
# The newest migration of a vendor-schema app: unapplied to put a schema behind.
APP, PREVIOUS, LATEST = "fulfillment", "0001_initial", "0002_vendor_order_events"
NEW_TABLE = "fulfillment_vendororderevent"


def _applied(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')
        return set(cursor.fetchall())


def _has_table(schema: str, table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema}".{table}'])
        return cursor.fetchone()[0] is not None


def _put_behind(schema: str) -> None:
    call_command("migrate_schemas", APP, PREVIOUS, schema_name=schema, verbosity=0)
    tenant_connection().set_schema_to_public()
    assert (APP, LATEST) not in _applied(schema) and not _has_table(schema, NEW_TABLE)


@pytest.fixture
def stores(db: None) -> Iterator[list[Store]]:
    services.public_tenant_ensure()
    made = []
    try:
        for slug in ("migr-behind", "migr-behind2", "migr-current"):
            store = services.store_create(slug=slug, name=slug)
            made.append(services.store_provision(store_id=store.pk))
        yield made
    finally:
        tenant_connection().set_schema_to_public()
        with connection.cursor() as cursor:
            for store in made:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{store.schema_name}" CASCADE')


@pytest.mark.django_db(transaction=True)
def test_schemas_behind_are_migrated_in_parallel_and_current_ones_skipped(stores, settings, capsys):
    settings.TENANT_MIGRATION_WORKERS = 2
    behind, behind2, current = (store.schema_name for store in stores)
    _put_behind(behind)
    _put_behind(behind2)
    apps, expected = code_migrations()
    before = schema_fingerprints([behind, current], apps, alias="default")
    assert before[current] == expected and before[behind] != expected

    # Registered, its provisioning not run yet: no schema, nothing to migrate, no failure.
    services.store_create(slug="migr-pending", name="Pending")
    migrated: list[str] = []

    def record(sender: object, schema_name: str, **kwargs: object) -> None:
        migrated.append(schema_name)

    schema_migrated.connect(record)
    try:
        capsys.readouterr()
        # Two schemas behind: the pool's workers (forked processes) apply them.
        call_command("migrate_schemas", "--tenant", verbosity=1)
    finally:
        schema_migrated.disconnect(record)
    tenant_connection().set_schema_to_public()

    for schema in (behind, behind2):
        assert (APP, LATEST) in _applied(schema) and _has_table(schema, NEW_TABLE)
    assert schema_fingerprints([behind, behind2], apps, alias="default") == {behind: expected, behind2: expected}
    total = Store.objects.exclude(schema_name="public").count() - 1
    out = capsys.readouterr().out
    assert f"{total - 2} of {total} vendor schemas up to date (skipped), 2 migrated, 0 failed" in out
    assert "1 registered stores have no schema yet (not provisioned)" in out
    # Nothing ran Django's migrate command for the schema that was up to date.
    assert current not in migrated

    # A second run finds nothing to do.
    call_command("migrate_schemas", "--tenant", verbosity=1)
    assert f"{total} of {total} vendor schemas up to date (skipped), 0 migrated" in capsys.readouterr().out


def _database_url() -> str:
    params = connection.settings_dict
    host = params["HOST"] or params.get("OPTIONS", {}).get("host", "")
    if host.startswith("/"):
        return f"postgresql://{params['USER']}@/{params['NAME']}?host={host}"
    auth = params["USER"] + (f":{params['PASSWORD']}" if params.get("PASSWORD") else "")
    return f"postgresql://{auth}@{host}:{params['PORT'] or 5432}/{params['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_failing_schema_is_named_and_the_command_exits_non_zero(stores):
    broken, behind, _current = (store.schema_name for store in stores)
    _put_behind(broken)
    _put_behind(behind)
    # The migration will create a table this schema already has: it fails here only.
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TABLE "{broken}".{NEW_TABLE} (id int)')

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": _database_url(),
           "TENANT_MIGRATION_WORKERS": "2"}
    run = subprocess.run([sys.executable, "manage.py", "migrate_schemas", "--tenant"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=False)

    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    assert f"[fingerprint:{broken}] FAILED: " in run.stderr and "already exists" in run.stderr
    assert f"1 of 2 schemas behind failed to migrate ({broken})" in run.stderr
    # The other schema behind was migrated all the same; the broken one is left where it was.
    assert (APP, LATEST) in _applied(behind)
    assert (APP, LATEST) not in _applied(broken)
