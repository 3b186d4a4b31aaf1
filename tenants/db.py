"""The default database connection, typed as django-tenants' wrapper: defined in
`common.connection` (storage, below `tenants`, needs the current schema too); re-exported here."""

from __future__ import annotations

from common.connection import current_schema_name, tenant_connection

__all__ = ["current_schema_name", "tenant_connection"]
