"""Catalog background work (runs in the schema of the vendor that queued it)."""

from __future__ import annotations

from celery import shared_task

from catalog import services


@shared_task(bind=True, max_retries=5, default_retry_delay=2, acks_late=True)
def outbox_relay(self) -> int:  # type: ignore[no-untyped-def]
    """Publish this schema's pending outbox events to the listing projection."""
    total = 0
    while True:
        published = services.outbox_publish_pending(limit=services.RELAY_BATCH_SIZE)
        total += published
        if published < services.RELAY_BATCH_SIZE:
            return total


@shared_task(bind=True, max_retries=3, default_retry_delay=5)
def product_image_thumbnail_task(self, image_id: int) -> bool:  # type: ignore[no-untyped-def]
    return services.product_image_thumbnail_generate(image_id=image_id) is not None


@shared_task(bind=True, max_retries=0, acks_late=True)
def csv_import_task(self, import_id: int) -> str:  # type: ignore[no-untyped-def]
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
