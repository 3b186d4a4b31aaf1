"""The default database connection, typed as django-tenants' wrapper.

The `default` database's ENGINE is `django_tenants.postgresql_backend`, whose `DatabaseWrapper`
adds the schema the connection is set to (`schema_name`, `tenant`) and the methods that switch it.
django-stubs types `django.db.connection` as the generic `BaseDatabaseWrapper`, and django-tenants
ships no type information (so its classes are `Any` to mypy): the wrapper's additions are declared
here, for type checking only, and the connection is cast once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db import connection

if TYPE_CHECKING:
    from django.db.backends.postgresql.base import DatabaseWrapper as PostgresDatabaseWrapper

    class TenantDatabaseWrapper(PostgresDatabaseWrapper):
        """What `django_tenants.postgresql_backend.base.DatabaseWrapper` adds (typing only)."""

        schema_name: str
        tenant: Any  # the Store, or django-tenants' FakeTenant after set_schema()
        include_public_schema: bool

        def set_tenant(self, tenant: Any, include_public: bool = True) -> None: ...

        def set_schema(
            self, schema_name: str, include_public: bool = True, tenant_type: str | None = None
        ) -> None: ...

        def set_schema_to_public(self) -> None: ...


def tenant_connection() -> TenantDatabaseWrapper:
    """`django.db.connection` itself (the per-thread proxy, not a snapshot), typed."""
    return cast("TenantDatabaseWrapper", connection)


def current_schema_name() -> str:
    """The schema the default connection is set to: `public` or a vendor's `v_…`."""
    return tenant_connection().schema_name
