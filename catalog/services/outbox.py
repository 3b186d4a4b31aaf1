"""The catalog's outbox: rows written with each product change, relayed to the marketplace listing after commit."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from catalog.models import (
    OutboxEvent,
    Product,
    Variant,
)


def outbox_write(*, product_id: int, deleted: bool = False) -> OutboxEvent:
    """Bump the product's version and record its snapshot, in the caller's transaction."""
    from catalog.selectors import product_snapshot

    if deleted:
        event = OutboxEvent.objects.create(
            event_type=OutboxEvent.Type.PRODUCT_DELETED, product_id=product_id,
            version=_deleted_version(product_id), payload={"product_id": product_id},
        )
    else:
        Product.objects.filter(pk=product_id).update(version=F("version") + 1)
        product = Product.objects.prefetch_related("variants", "images", "translations").get(pk=product_id)
        event = OutboxEvent.objects.create(
            event_type=OutboxEvent.Type.PRODUCT_CHANGED, product_id=product_id,
            version=product.version, payload=product_snapshot(product),
        )
    _relay_on_commit()
    return event


def outbox_write_many(*, product_ids: list[int]) -> int:
    """`outbox_write` for many products at once (CSV import), in the caller's transaction."""
    from catalog.selectors import product_snapshot

    if not product_ids:
        return 0
    Product.objects.filter(pk__in=product_ids).update(version=F("version") + 1)
    products = Product.objects.filter(pk__in=product_ids).prefetch_related("variants", "images", "translations")
    OutboxEvent.objects.bulk_create([
        OutboxEvent(event_type=OutboxEvent.Type.PRODUCT_CHANGED, product_id=product.pk,
                    version=product.version, payload=product_snapshot(product))
        for product in products
    ], batch_size=500)
    _relay_on_commit()
    return len(product_ids)


def variants_changed_publish(*, variant_ids: list[int]) -> int:
    """For code that changes variants outside these services (checkout stock reservations, returns):
    publish their products' new state. Call it in the same transaction as the change."""
    product_ids = sorted(set(Variant.objects.filter(pk__in=variant_ids).values_list("product_id", flat=True)))
    return outbox_write_many(product_ids=product_ids)


def _deleted_version(product_id: int) -> int:
    product = Product.objects.filter(pk=product_id).values_list("version", flat=True).first()
    last = OutboxEvent.objects.filter(product_id=product_id).order_by("-version").values_list(
        "version", flat=True).first()
    return max(product or 0, last or 0) + 1


def _relay_soon(schema: str) -> None:
    from django_tenants.utils import schema_context

    from catalog.tasks import outbox_relay

    with schema_context(schema):
        outbox_relay.delay()


class _RelayOnCommit:
    """The on-commit hook queueing one schema's relay (recognisable in `connection.run_on_commit`)."""

    def __init__(self, schema: str) -> None:
        self.schema = schema

    def __call__(self) -> None:
        _relay_soon(self.schema)


def _relay_on_commit() -> None:
    """Queue this schema's relay when the caller's transaction commits: once per transaction.

    A bulk change writes one event per product and one relay drains them all, so a hook already
    waiting for this commit is enough. A hook dropped with a rolled-back savepoint is no longer in
    `run_on_commit`, so the next event registers a new one.
    """
    schema = getattr(connection, "schema_name", "public")
    # django-stubs still types run_on_commit entries as (sids, func); Django 4.2+ appends (sids, func, robust).
    if any(isinstance(hook, _RelayOnCommit) and hook.schema == schema for _, hook, _ in connection.run_on_commit):  # type: ignore[misc]
        return
    transaction.on_commit(_RelayOnCommit(schema))


RELAY_BATCH_SIZE = 500


@transaction.atomic
def outbox_publish_pending(*, limit: int = RELAY_BATCH_SIZE) -> int:
    """Apply unpublished events of this schema to the public projection, oldest first.

    The events are locked (`SKIP LOCKED`: concurrent relays take different events), applied with
    `listings_apply_batch` (a set-based upsert guarded by version) and marked published, all in
    this one transaction: a relay that dies mid-batch leaves every event of it pending.
    """
    from catalog.selectors import current_vendor_in_schema
    from marketplace.services import listings_apply_batch

    vendor = current_vendor_in_schema()
    if vendor is None:
        return 0
    events = list(
        OutboxEvent.objects.select_for_update(skip_locked=True)
        .filter(published_at__isnull=True).order_by("id")
        .values_list("pk", "event_type", "product_id", "version", "payload")[:limit]
    )
    if not events:
        return 0
    listings_apply_batch(vendor=vendor, events=[
        {"product_id": product_id, "version": version, "payload": payload,
         "deleted": event_type == OutboxEvent.Type.PRODUCT_DELETED}
        for _, event_type, product_id, version, payload in events
    ])
    OutboxEvent.objects.filter(pk__in=[pk for pk, *_ in events]).update(
        published_at=timezone.now(), attempts=F("attempts") + 1
    )
    return len(events)
