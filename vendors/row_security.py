"""Row-level security: binds the database connection to one vendor, so PostgreSQL itself hides
and refuses other vendors' rows in the public tables keyed by vendor (docs/adr/0047).

A bound connection runs as the `marketplace_vendor` role (no superuser, no BYPASSRLS, owns no
table), with `app.vendor_id` set to the vendor of the schema it serves; the policies created by
the migrations (`vendors/migrations/0003_row_level_security.py` and the protected tables' apps)
compare each row's `vendor_id` with that setting. An unbound connection runs as the login role,
which owns the tables and so is not subject to their policies: platform code (the marketplace
host, the ops console, finance, public tasks) works as before.

Binding is per connection (the wrapper is per thread) and always paired with its release:
`request_scope()` around a vendor host's request (`vendors.middleware.VendorScopeMiddleware`),
`vendor_scope()` around a task run in a vendor's schema (the Celery signals connected in
`vendors.apps`). The statements go
on the psycopg connection directly: one round trip to bind, one to release; they are not in
Django's query log (query counts pinned by tests stay what the views issue).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.backends.signals import connection_created

ROLE = "marketplace_vendor"
SETTING = "app.vendor_id"

# The vendor of a schema, looked up by the database in the binding statement itself (no query of
# its own); no vendor for that schema binds to none: the role then sees no protected row.
_BIND_SQL = (
    "SELECT set_config('app.vendor_id', coalesce((SELECT v.id::text FROM public.vendors_vendor v"
    " JOIN public.tenants_store s ON s.id = v.store_id WHERE s.schema_name = %s), ''), false),"
    " set_config('role', %s, false)"
)
_RELEASE_SQL = "SELECT set_config('role', 'none', false), set_config('app.vendor_id', '', false)"
_ATTRIBUTE = "vendor_scope_schema"


# After a release that failed inside a transaction: the next binding or release is applied
# whatever the wrapper believed.
_UNKNOWN = "?"


def bound_schema(wrapper: Any = None) -> str | None:
    """The vendor schema the connection is bound to, or None (platform code)."""
    schema = getattr(wrapper or connection, _ATTRIBUTE, None)
    return None if schema == _UNKNOWN else schema


def _execute(wrapper: Any, sql: str, params: tuple[Any, ...] = ()) -> None:
    raw = wrapper.connection
    with raw.cursor() as cursor:
        cursor.execute(sql, params)


def _apply(wrapper: Any) -> None:
    schema = bound_schema(wrapper)
    if schema is None:
        _execute(wrapper, _RELEASE_SQL)
    else:
        _execute(wrapper, _BIND_SQL, (schema, ROLE))


def _set(schema: str | None) -> None:
    """Record the binding on the connection wrapper and apply it to the open connection; a
    connection opened later (lazily, by the first query) gets it from `_on_connection_created`,
    outside any transaction."""
    if getattr(connection, _ATTRIBUTE, None) == schema:
        return
    setattr(connection, _ATTRIBUTE, schema)
    if connection.connection is None:
        return
    try:
        _apply(connection)
    except DatabaseError:
        setattr(connection, _ATTRIBUTE, _UNKNOWN)
        if schema is not None:
            raise  # never run a vendor's work unbound
        # Releasing failed (an aborted transaction, a broken connection). Outside a transaction,
        # a connection in an unknown state is closed: the next one starts unbound. Inside one, its
        # rollback comes first, and the next binding or release re-applies whatever it is.
        if not connection.in_atomic_block:
            connection.close()


@contextmanager
def vendor_scope(schema_name: str | None) -> Iterator[None]:
    """Bind the connection to the vendor of `schema_name` (None or `public`: unbound) for the
    block, then restore what was bound before, including when the block raises."""
    previous = bound_schema()
    _set(None if schema_name in (None, "public") else schema_name)
    try:
        yield
    finally:
        _set(previous)


@contextmanager
def request_scope(schema_name: str | None) -> Iterator[None]:
    """A request's (or a task's) binding: like `vendor_scope`, but it leaves the connection
    unbound at the end rather than restoring what a previous unit may have left on it."""
    _set(None if schema_name in (None, "public") else schema_name)
    try:
        yield
    finally:
        _set(None)


@contextmanager
def platform_scope() -> Iterator[None]:
    """Inside a vendor-bound request or task, run platform logic that must see every vendor's
    rows (an order's status is decided by all its vendors' parts). Transaction-local: the
    binding comes back at the block's end, and with the transaction's end at the latest."""
    if bound_schema() is None:
        yield
        return
    connection.ensure_connection()  # a connection opened inside the block would start bound
    with transaction.atomic():
        _execute(connection, "SELECT set_config('role', 'none', true)")
        try:
            yield
        finally:
            # After an error the block's savepoint (or transaction) is rolled back, which undoes
            # the local change by itself; the statement would fail in an aborted transaction.
            with suppress(DatabaseError):
                _execute(connection, "SELECT set_config('role', %s, true)", (ROLE,))


def _on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    # A connection opened while bound (the first query of a request, a reconnect) starts bound.
    if getattr(connection, _ATTRIBUTE, None) == _UNKNOWN:
        setattr(connection, _ATTRIBUTE, None)  # a new session starts unbound
    elif bound_schema(connection) is not None:
        _apply(connection)


connection_created.connect(_on_connection_created, dispatch_uid="vendor_row_security")


def task_bind(task: Any, **kwargs: Any) -> None:
    """Celery `task_prerun`, after tenant-schemas-celery switched to the task's schema: a task
    run for a vendor is bound to it. Nested (an eager task inside a request) restores after."""
    from django_tenants.utils import get_public_schema_name

    schema = getattr(connection, "schema_name", None)
    scope = vendor_scope(None if schema == get_public_schema_name() else schema)
    scope.__enter__()
    task.request.vendor_scope = scope


def task_release(task: Any, **kwargs: Any) -> None:
    """Celery `task_postrun` (sent whether the task succeeded or raised)."""
    scope = getattr(task.request, "vendor_scope", None)
    if scope is not None:
        task.request.vendor_scope = None
        scope.__exit__(None, None, None)


# --- the SQL of the migrations ------------------------------------------------------------------
# Used by applied migrations: change a statement here only together with a new migration. The
# role's name is written out (it is ROLE) so the statements are constants.

ROLE_CREATE_SQL = """
DO $$ BEGIN
    CREATE ROLE marketplace_vendor NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- another database of the cluster
END $$;
GRANT marketplace_vendor TO CURRENT_USER;
DO $$ DECLARE schema_name text; BEGIN
    FOR schema_name IN SELECT nspname FROM pg_namespace
        WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
    LOOP
        BEGIN  -- a schema of another owner (extensions' schemas on a managed server) is skipped
            EXECUTE format('GRANT USAGE ON SCHEMA %I TO marketplace_vendor', schema_name);
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO marketplace_vendor', schema_name);
            EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO marketplace_vendor', schema_name);
        EXCEPTION WHEN insufficient_privilege THEN NULL;
        END;
    END LOOP;
END $$;
ALTER DEFAULT PRIVILEGES GRANT USAGE ON SCHEMAS TO marketplace_vendor;
ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO marketplace_vendor;
ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO marketplace_vendor;
"""

ROLE_DROP_SQL = """
ALTER DEFAULT PRIVILEGES REVOKE USAGE ON SCHEMAS FROM marketplace_vendor;
ALTER DEFAULT PRIVILEGES REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM marketplace_vendor;
ALTER DEFAULT PRIVILEGES REVOKE USAGE, SELECT, UPDATE ON SEQUENCES FROM marketplace_vendor;
DO $$ DECLARE schema_name text; BEGIN
    FOR schema_name IN SELECT nspname FROM pg_namespace
        WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
    LOOP
        BEGIN
            EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM marketplace_vendor', schema_name);
            EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM marketplace_vendor', schema_name);
            EXECUTE format('REVOKE ALL ON SCHEMA %I FROM marketplace_vendor', schema_name);
        EXCEPTION WHEN insufficient_privilege THEN NULL;
        END;
    END LOOP;
END $$;
DO $$ BEGIN
    DROP ROLE marketplace_vendor;
EXCEPTION WHEN dependent_objects_still_exist OR undefined_object THEN NULL;  -- used elsewhere
END $$;
"""

_BOUND_VENDOR = f"NULLIF(current_setting('{SETTING}', true), '')::bigint"


def table_policy_sql(table: str) -> tuple[str, str]:
    """(forward, reverse) SQL: on `table`, the vendor role sees and writes only rows whose
    `vendor_id` is the bound vendor. The owner (unbound platform code) is not subject to it."""
    # `table` is a constant of a migration, never input.
    forward = (  # nosec B608
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;"
        f" CREATE POLICY vendor_scope ON {table} TO {ROLE}"
        f" USING (vendor_id = {_BOUND_VENDOR}) WITH CHECK (vendor_id = {_BOUND_VENDOR});"
    )
    reverse = f"DROP POLICY IF EXISTS vendor_scope ON {table}; ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;"
    return forward, reverse
