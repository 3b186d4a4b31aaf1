"""Catalog background work (runs in the schema of the vendor that queued it)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from catalog import services


# Retried on a lost connection or a deadlock: a batch is published and marked in one transaction,
# so a failed attempt leaves its events pending for the next one (and for the beat's sweep).
@shared_task(
    autoretry_for=(OperationalError, InterfaceError), retry_backoff=2, retry_backoff_max=60,
    retry_jitter=True, max_retries=5, acks_late=True,
)
def outbox_relay() -> int:
    """Publish this schema's pending outbox events to the listing projection."""
    total = 0
    while True:
        published = services.outbox_publish_pending(limit=services.RELAY_BATCH_SIZE)
        total += published
        if published < services.RELAY_BATCH_SIZE:
            return total


# Safe to run twice; an image that cannot be decoded is marked failed by the service, not retried.
@shared_task(
    autoretry_for=(OperationalError, InterfaceError), retry_backoff=5, retry_backoff_max=120,
    retry_jitter=True, max_retries=3,
)
def product_image_thumbnail_task(image_id: int) -> bool:
    return services.product_image_thumbnail_generate(image_id=image_id) is not None


# Never retried on an error: the import commits in chunks and reports its outcome on the import
# page, where the vendor uploads the file again. Redelivered after a lost worker, it runs again
# (rows are upserted by handle and SKU); the sweep below queues imports whose message was lost.
@shared_task(acks_late=True)
def csv_import_task(import_id: int) -> str:
    from catalog.csv_io import csv_import_run

    return csv_import_run(import_id=import_id).status


@shared_task
def outbox_relay_sweep() -> int:
    """Safety net (beat): queue a relay for every ready vendor schema with pending events."""
    from django_tenants.utils import schema_context

    from catalog.models import OutboxEvent
    from tenants.models import Store

    queued = 0
    for schema in Store.objects.filter(status=Store.Status.READY).exclude(
        schema_name="public").values_list("schema_name", flat=True):
        with schema_context(schema):
            if OutboxEvent.objects.filter(published_at__isnull=True).exists():
                outbox_relay.delay()
                queued += 1
    return queued


@shared_task
def csv_imports_requeue_stalled() -> int:
    """Safety net (beat): queue again, in its schema, every import whose task was lost."""
    from django_tenants.utils import schema_context

    from catalog.csv_io import csv_imports_stalled
    from tenants.models import Store

    queued = 0
    for schema in Store.objects.filter(status=Store.Status.READY).exclude(
        schema_name="public").values_list("schema_name", flat=True):
        with schema_context(schema):
            for import_id in csv_imports_stalled():
                csv_import_task.delay(import_id)
                queued += 1
    return queued
