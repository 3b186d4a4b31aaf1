"""`migrate_schemas` across vendor schemas: skip the schemas already up to date, migrate the rest
in parallel with a bounded pool of processes (ADR 0060).

django-tenants runs Django's whole `migrate` command once per schema, about a quarter of a second
each even when there is nothing to do (it loads the graph, renders every model's state and emits
`post_migrate`). Here the database computes a fingerprint of each schema's applied migrations in
one query per batch of schemas; a schema whose fingerprint equals the code's is skipped. A schema
behind is migrated in a worker process that renders the model state once per distinct applied
set and reuses it for every schema in the same state (after a deploy, all of them).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import multiprocessing
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connections
from django.db.migrations.executor import MigrationExecutor as DjangoMigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ProjectState
from django_tenants.migration_executors import get_executor as django_tenants_executor
from django_tenants.migration_executors.base import MigrationExecutor, run_migrations
from django_tenants.signals import schema_migrated
from django_tenants.utils import get_tenant_database_alias

if TYPE_CHECKING:
    from common.connection import TenantDatabaseWrapper

logger = logging.getLogger(__name__)

CODENAME = "fingerprint"
# Options under which every schema must go through Django's own command: a target migration
# (forwards or backwards), a plan to print, pruning of the recorded rows.
_STANDARD_ONLY_OPTIONS = ("app_label", "migration_name", "plan", "prune")
# Options the fast path does not implement; schemas that are behind then use the standard path.
_SLOW_PATH_OPTIONS = ("fake", "fake_initial", "check_unapplied", "run_syncdb")
_BATCH = 200


def executor_for(codename: str | None = None) -> type[MigrationExecutor]:
    """`settings.GET_EXECUTOR_FUNCTION`: the fingerprint executor unless another one is named
    (`--executor standard`, or the `EXECUTOR` variable django-tenants reads)."""
    codename = codename or os.environ.get("EXECUTOR") or CODENAME
    if codename == CODENAME:
        return FingerprintExecutor
    return django_tenants_executor(codename)


def _fingerprint(entries: Iterable[str]) -> str:
    return hashlib.md5("\n".join(sorted(entries)).encode(), usedforsecurity=False).hexdigest()


def code_migrations() -> tuple[list[str], str]:
    """The apps with migrations and the fingerprint of every migration on disk (loaded once per
    process: the files do not change under a running process)."""
    return _code_migrations(repr(getattr(settings, "MIGRATION_MODULES", {})))


@functools.lru_cache(maxsize=4)
def _code_migrations(modules: str) -> tuple[list[str], str]:
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    apps = sorted({app for app, _ in graph.nodes})
    return apps, _fingerprint(f"{app}.{name}" for app, name in graph.nodes)


def existing_schemas(schemas: Sequence[str], *, alias: str) -> set[str]:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", [list(schemas)])
        return {row[0] for row in cursor.fetchall()}


def schema_fingerprints(schemas: Sequence[str], apps: Sequence[str], *, alias: str) -> dict[str, str]:
    """Each schema's fingerprint of the migrations it records as applied (of the apps that still
    have migrations), computed by the database; schemas without a migrations table are left out."""
    connection = connections[alias]
    found: dict[str, str] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(schemas), _BATCH):
            batch = list(schemas[start:start + _BATCH])
            cursor.execute(
                "SELECT n.nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid "
                "WHERE c.relname = 'django_migrations' AND c.relkind = 'r' AND n.nspname = ANY(%s)",
                [batch],
            )
            present = [row[0] for row in cursor.fetchall()]
            if not present:
                continue
            # The same text Python hashes: 'app.name' lines in code point order, newline-joined.
            parts = [
                f"SELECT %s, md5(coalesce(string_agg(app || '.' || name, E'\\n' ORDER BY app || '.' || name "  # noqa: S608  # nosec B608
                f'COLLATE "C"), \'\')) FROM {connection.ops.quote_name(schema)}.django_migrations '
                "WHERE app = ANY(%s)"
                for schema in present
            ]
            params: list[Any] = []
            for schema in present:
                params += [schema, list(apps)]
            cursor.execute(" UNION ALL ".join(parts), params)
            found.update(dict(cursor.fetchall()))
    return found


@dataclass(frozen=True)
class SchemaOutcome:
    schema: str
    error: str = ""
    seconds: float = 0.0


class FingerprintExecutor(MigrationExecutor):
    """django-tenants' executor interface; chosen by `GET_EXECUTOR_FUNCTION` in the settings."""

    codename = CODENAME

    def run_migrations(self, tenants: Iterable[str] | None = None) -> None:
        tenants = list(tenants or [])
        if self.PUBLIC_SCHEMA_NAME in tenants:
            tenants.remove(self.PUBLIC_SCHEMA_NAME)
            run_migrations(self.args, self.options, self.codename, self.PUBLIC_SCHEMA_NAME)
        if not tenants:
            return
        if any(self.options.get(name) for name in _STANDARD_ONLY_OPTIONS):
            for index, schema in enumerate(tenants):
                run_migrations(self.args, self.options, self.codename, schema, idx=index, count=len(tenants))
            return
        started = time.perf_counter()
        apps, expected = code_migrations()
        alias = self.options.get("database") or self.TENANT_DB_ALIAS
        existing = existing_schemas(tenants, alias=alias)
        # A store registered but not provisioned yet (its task is queued) has no schema: its
        # provisioning clones the migrated template, so there is nothing to migrate.
        missing = [schema for schema in tenants if schema not in existing]
        tenants = [schema for schema in tenants if schema in existing]
        recorded = schema_fingerprints(tenants, apps, alias=alias)
        behind = [schema for schema in tenants if recorded.get(schema) != expected]
        outcomes = self._migrate(behind)
        failed = [outcome for outcome in outcomes if outcome.error]
        self._report(len(tenants), behind, failed, time.perf_counter() - started, missing=len(missing))
        if failed:
            names = ", ".join(outcome.schema for outcome in failed[:20])
            more = f" and {len(failed) - 20} more" if len(failed) > 20 else ""
            raise CommandError(
                f"migrate_schemas: {len(failed)} of {len(behind)} schemas behind failed to migrate "
                f"({names}{more}); the others are migrated. Errors above."
            )

    def run_multi_type_migrations(self, tenants: Any) -> None:
        raise NotImplementedError("the marketplace has one tenant type")

    def _migrate(self, behind: list[str]) -> list[SchemaOutcome]:
        if not behind:
            return []
        if any(self.options.get(name) for name in _SLOW_PATH_OPTIONS):
            return [
                _outcome(schema, functools.partial(run_migrations, self.args, self.options, self.codename, schema))
                for schema in behind
            ]
        workers = max(1, min(migration_workers(), len(behind)))
        if workers == 1:
            return [schema_migrate(schema) for schema in behind]
        connections.close_all()  # a forked worker must not share the parent's socket
        context = multiprocessing.get_context("fork")
        with context.Pool(processes=workers, initializer=_worker_start) as pool:
            chunk = max(1, min(16, len(behind) // (workers * 4)))
            return list(pool.imap_unordered(schema_migrate, behind, chunksize=chunk))

    def _report(self, total: int, behind: list[str], failed: list[SchemaOutcome], seconds: float, *,
                missing: int) -> None:
        for outcome in failed:
            sys.stderr.write(f"[{self.codename}:{outcome.schema}] FAILED: {outcome.error}\n")
        if int(self.options.get("verbosity", 1)) >= 1:
            sys.stdout.write(
                f"[{self.codename}] {total - len(behind)} of {total} vendor schemas up to date (skipped), "
                f"{len(behind) - len(failed)} migrated, {len(failed)} failed, in {seconds:.1f} s "
                f"with up to {migration_workers()} workers"
                + (f"; {missing} registered stores have no schema yet (not provisioned)" if missing else "")
                + "\n"
            )


def migration_workers() -> int:
    """How many schemas are migrated at once (`TENANT_MIGRATION_WORKERS`): each worker holds one
    database connection and runs DDL, so it is bounded by the database's cores, not the app's."""
    return int(getattr(settings, "TENANT_MIGRATION_WORKERS", 0) or min(4, os.cpu_count() or 1))


def _worker_start() -> None:
    for connection in connections.all():
        connection.connection = None  # inherited from the parent across fork: never reuse it
    _STATE_CACHE.clear()


# The model state before a plan, rendered once per worker for each distinct applied set.
_STATE_CACHE: dict[tuple[str, ...], ProjectState] = {}


def _outcome(schema: str, apply: Callable[[], object]) -> SchemaOutcome:
    started = time.perf_counter()
    try:
        apply()
    except Exception as exc:  # one schema's failure is reported, the others go on
        logger.exception("migrating schema %s failed", schema)
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return SchemaOutcome(schema, error=last, seconds=time.perf_counter() - started)
    finally:
        with contextlib.suppress(Exception):
            _tenant_db().set_schema_to_public()
    return SchemaOutcome(schema, seconds=time.perf_counter() - started)


def _tenant_db() -> TenantDatabaseWrapper:
    return cast("TenantDatabaseWrapper", connections[get_tenant_database_alias()])


def schema_migrate(schema: str) -> SchemaOutcome:
    """Apply the migrations one schema lacks, each in its own transaction as Django does."""
    return _outcome(schema, lambda: _schema_migrate(schema))


def _schema_migrate(schema: str) -> None:
    connection = _tenant_db()
    # As django-tenants does: the table must be made in the schema, not found in public.
    connection.set_schema(schema, include_public=False)
    MigrationRecorder(connection).ensure_schema()
    connection.set_schema(schema)
    executor = DjangoMigrationExecutor(connection)
    executor.loader.check_consistent_history(connection)
    targets = executor.loader.graph.leaf_nodes()
    plan = executor.migration_plan(targets)
    if plan:
        key = tuple(sorted(f"{app}.{name}" for app, name in executor.loader.applied_migrations))
        state = _STATE_CACHE.get(key)
        if state is None:
            state = executor._create_project_state(with_applied_migrations=True)  # type: ignore[attr-defined]
            state.apps  # noqa: B018 - render the models once, before the first clone
            _STATE_CACHE[key] = state
        executor.migrate(targets, plan=plan, state=state.clone())
    connection.set_schema_to_public()
    schema_migrated.send(run_migrations, schema_name=schema)
