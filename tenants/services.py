"""Creating tenants: the public tenant and a vendor's schema, its domain and its readiness."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.clone import CLONE_SCHEMA_FUNCTION, CloneSchema
from django_tenants.utils import get_public_schema_name, schema_exists

from common.exceptions import Conflict
from tenants.db import tenant_connection
from tenants.errors import InvalidSlug
from tenants.models import Domain, Store

logger = logging.getLogger(__name__)

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")




def schema_name_for(slug: str) -> str:
    """`acme-tools` → `v_acme_tools`: a prefix keeps vendor schemas apart from system ones."""
    return "v_" + slug.replace("-", "_")


def vendor_host(slug: str) -> str:
    return f"{slug}.{settings.PLATFORM_DOMAIN}"


def store_slug(store: Store) -> str:
    return store.schema_name.removeprefix("v_").replace("_", "-")


def slug_validate(slug: str) -> str:
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug) or "--" in slug:
        raise InvalidSlug(
            "Use 3–40 lowercase letters, digits and single hyphens, starting with a letter.",
            fields={"slug": ["invalid"]},
        )
    if slug in settings.RESERVED_SLUGS:
        raise InvalidSlug(f"“{slug}” is reserved.", code="slug_reserved", fields={"slug": ["reserved"]})
    return slug


def public_tenant_ensure() -> Store:
    """The public tenant and its hosts (platform domain, plus localhost names for local use)."""
    store, _ = Store.objects.get_or_create(
        schema_name=get_public_schema_name(),
        defaults={"name": settings.PLATFORM_NAME, "status": Store.Status.READY},
    )
    hosts = [settings.PLATFORM_DOMAIN, "localhost", "127.0.0.1", "testserver"]
    for index, host in enumerate(hosts):
        Domain.objects.get_or_create(
            domain=host, defaults={"tenant": store, "is_primary": index == 0}
        )
    return store


@transaction.atomic
def store_create(*, slug: str, name: str) -> Store:
    """Register a vendor's store (no schema yet); `store_provision` creates the schema."""
    slug = slug_validate(slug)
    schema_name = schema_name_for(slug)
    if Store.objects.filter(schema_name=schema_name).exists() or Domain.objects.filter(
        domain=vendor_host(slug)
    ).exists():
        raise Conflict(f"The store “{slug}” already exists.", code="slug_taken")
    return Store.objects.create(schema_name=schema_name, name=name, status=Store.Status.PENDING)


_PROVISION_LOCK_BASE = 7_100_000_000


def store_provision(*, store_id: int) -> Store:
    """Create the store's schema and domain. Idempotent; a failure leaves no half-made schema.

    A session-level advisory lock serialises concurrent attempts on one store (a double-clicked
    retry, a task redelivered), so the second one finds the store ready and does nothing.
    """
    lock_key = _PROVISION_LOCK_BASE + store_id
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [lock_key])
    try:
        return _store_provision_locked(store_id)
    finally:
        tenant_connection().set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_key])


def template_schema_ensure() -> Store | None:
    """The template vendor schemas are cloned from: a registered, schema-only store (no host), so
    `migrate_schemas` keeps it migrated. Created by running the migrations once."""
    base = getattr(settings, "TENANT_BASE_SCHEMA", "")
    if not base:
        return None
    template = Store.objects.filter(schema_name=base).first()
    if template is not None and template.status == Store.Status.READY and schema_exists(base):
        return template
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_PROVISION_LOCK_BASE])
    try:
        template, _ = Store.objects.get_or_create(
            schema_name=base,
            defaults={"name": "Vendor schema template", "status": Store.Status.PENDING},
        )
        if template.status != Store.Status.READY and schema_exists(base) and _schema_fully_migrated(base):
            # The row was lost (a flushed table, a restored dump) but the schema is whole: adopt
            # it instead of rebuilding it from every migration.
            Store.objects.filter(pk=template.pk).update(status=Store.Status.READY)
            template.status = Store.Status.READY
        if template.status != Store.Status.READY or not schema_exists(base):
            tenant_connection().set_schema_to_public()
            _schema_drop(base, allow=base)
            # The template itself is built by migrations (there is nothing to clone it from).
            template.create_schema(check_if_exists=False, verbosity=0)
            tenant_connection().set_schema_to_public()
            Store.objects.filter(pk=template.pk).update(status=Store.Status.READY)
            template.status = Store.Status.READY
    finally:
        tenant_connection().set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_PROVISION_LOCK_BASE])
    return template


def _schema_fully_migrated(schema_name: str) -> bool:
    """Whether this schema's own django_migrations records every migration on disk (what
    `migrate_schemas` leaves when it finished)."""
    from django.db.migrations.loader import MigrationLoader

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = 'django_migrations'",
            [schema_name],
        )
        if cursor.fetchone() is None:
            return False
        cursor.execute(f'SELECT app, name FROM "{schema_name}".django_migrations')  # noqa: S608  # nosec B608  # the template's schema name from settings
        applied = set(cursor.fetchall())
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return set(graph.nodes) <= applied


def _store_provision_locked(store_id: int) -> Store:
    store = Store.objects.get(pk=store_id)
    if store.status == Store.Status.READY:
        return store
    template_schema_ensure()
    store.status = Store.Status.PROVISIONING
    store.provisioning_error = ""
    store.save(update_fields=["status", "provisioning_error"])
    started = time.monotonic()
    try:
        tenant_connection().set_schema_to_public()
        # A schema left by a crashed attempt may be half-migrated: start again from nothing.
        _schema_drop(store.schema_name)
        _schema_create(store)
        tenant_connection().set_schema_to_public()
        with transaction.atomic():
            host = vendor_host(store_slug(store))
            domain, _ = Domain.objects.get_or_create(
                domain=host, defaults={"tenant": store, "is_primary": True}
            )
            if domain.tenant_id != store.pk:
                raise Conflict(f"The host {host} belongs to another store.", code="domain_taken")
            store.status = Store.Status.READY
            store.provisioned_at = timezone.now()
            store.provisioning_seconds = time.monotonic() - started
            store.save(update_fields=["status", "provisioned_at", "provisioning_seconds"])
    except Exception as exc:
        logger.exception("provisioning of %s failed", store.schema_name)
        tenant_connection().set_schema_to_public()
        _schema_drop(store.schema_name)
        Store.objects.filter(pk=store.pk).update(
            status=Store.Status.FAILED, provisioning_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    return store


def _schema_create(store: Store) -> None:
    """Clone the template schema, then apply what the template lacked (normally nothing: the
    fingerprint executor skips the schema, ADR 0060). Without a template, run every migration."""
    base = getattr(settings, "TENANT_BASE_SCHEMA", "")
    if not (base and schema_exists(base)):
        store.create_schema(check_if_exists=False, verbosity=0)
        return
    tenant_connection().set_schema_to_public()
    with connection.cursor() as cursor:
        _clone_function_ensure(cursor)
        cursor.execute("SELECT public.clone_schema(%s, %s, 'DATA')", [base, store.schema_name])
        _clone_constraint_names_restore(cursor, base, store.schema_name)
    # Not --fake, as django-tenants' create_schema does: a template behind the code would leave
    # its clone behind while recording it as complete.
    call_command("migrate_schemas", tenant=True, schema_name=store.schema_name, interactive=False, verbosity=0)


# The clone re-creates unique (and primary-key, exclusion) constraints under names PostgreSQL
# generates (`<table>_<columns>_key`), not the names the migrations gave them: a later migration
# that removes or alters one by name (or reverses the one that added it) would fail on every cloned
# schema. Each one is given back its template name; dropping or renaming it also renames its index.
_CLONE_RENAMED_CONSTRAINTS = """
SELECT clone_table.relname, clone_con.conname, base_con.conname
FROM pg_constraint base_con
JOIN pg_class base_table ON base_table.oid = base_con.conrelid
JOIN pg_namespace base_ns ON base_ns.oid = base_table.relnamespace AND base_ns.nspname = %s
JOIN pg_namespace clone_ns ON clone_ns.nspname = %s
JOIN pg_class clone_table ON clone_table.relnamespace = clone_ns.oid AND clone_table.relname = base_table.relname
JOIN pg_constraint clone_con ON clone_con.conrelid = clone_table.oid AND clone_con.contype = base_con.contype
    AND pg_get_constraintdef(clone_con.oid) = pg_get_constraintdef(base_con.oid)
WHERE base_con.contype IN ('u', 'p', 'x') AND clone_con.conname <> base_con.conname
  AND NOT EXISTS (SELECT 1 FROM pg_constraint same
                  WHERE same.conrelid = clone_table.oid AND same.conname = base_con.conname)
"""


def _clone_constraint_names_restore(cursor: Any, base: str, schema: str) -> None:
    cursor.execute(_CLONE_RENAMED_CONSTRAINTS, [base, schema])
    quote = connection.ops.quote_name
    for table, cloned, named in cursor.fetchall():
        cursor.execute(f"ALTER TABLE {quote(schema)}.{quote(table)} RENAME CONSTRAINT {quote(cloned)} TO {quote(named)}")


# The clone function django-tenants installs (pg-clone-schema): several thousand lines of
# PL/pgSQL that its `clone_schema()` re-creates on every call (about 40 ms). It is installed once
# per version of its text here, the version kept in the function's comment.
_CLONE_FUNCTION_VERSION = hashlib.md5(CLONE_SCHEMA_FUNCTION.encode(), usedforsecurity=False).hexdigest()


def _clone_function_version(cursor: Any) -> list[str]:
    cursor.execute(
        "SELECT obj_description(p.oid, 'pg_proc') FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public' AND p.proname = 'clone_schema'"
    )
    return [row[0] for row in cursor.fetchall()]


def _clone_function_ensure(cursor: Any) -> None:
    if _clone_function_version(cursor) == [_CLONE_FUNCTION_VERSION]:
        return
    with transaction.atomic():
        # Installing it drops and re-creates its type: one installer at a time.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PROVISION_LOCK_BASE - 1])
        if _clone_function_version(cursor) == [_CLONE_FUNCTION_VERSION]:
            return
        CloneSchema()._create_clone_schema_function()
        cursor.execute(
            f"COMMENT ON FUNCTION public.clone_schema(text, text, public.cloneparms[]) IS '{_CLONE_FUNCTION_VERSION}'"
        )


def _schema_drop(schema_name: str, *, allow: str = "") -> None:
    if schema_name == get_public_schema_name():
        return
    if not schema_name.startswith("v_") and schema_name != allow:
        return
    if schema_exists(schema_name):
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema_name}" CASCADE')


def store_schema_drop(*, store: Store) -> None:
    """Drop a closed store's schema and its hosts (its archive is kept elsewhere, ADR 0078)."""
    from tenants.models import Domain

    Domain.objects.filter(tenant=store).delete()
    _schema_drop(store.schema_name)


def store_provision_async(*, store_id: int) -> None:
    """Queue provisioning after the current transaction commits."""
    from tenants.tasks import store_provision_task

    transaction.on_commit(lambda: store_provision_task.delay(store_id))
