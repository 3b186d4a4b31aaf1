"""Background provisioning of vendor schemas."""

from __future__ import annotations

from celery import shared_task

from tenants import services


@shared_task(bind=True, max_retries=3, default_retry_delay=5)
def store_provision_task(self, store_id: int) -> str:  # type: ignore[no-untyped-def]
    store = services.store_provision(store_id=store_id)
    return store.status


@shared_task
def tenant_ping() -> str:
    """Answer with the schema the task ran in: proves workers honour the caller's tenant."""
    from django.db import connection

    return str(connection.schema_name)
