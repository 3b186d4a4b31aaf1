"""Background provisioning of vendor schemas."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from tenants import services


# Transient database failures are retried with backoff; a domain failure (e.g. the host belongs
# to another store) is final and stays visible on the store as `failed` until retried by a person.
@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=5,
)
def store_provision_task(store_id: int) -> str:
    store = services.store_provision(store_id=store_id)
    return store.status


@shared_task
def tenant_ping() -> str:
    """Answer with the schema the task ran in: proves workers honour the caller's tenant."""
    from tenants.db import current_schema_name

    return current_schema_name()
