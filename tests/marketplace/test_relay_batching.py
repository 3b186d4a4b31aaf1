"""The relay's set-based path (ADR 0036): one upsert per batch, with every guarantee of one-by-one.

Versions guard each row (stale and duplicate events change nothing), a batch mixes creates,
updates and deletes, a vendor's batch never touches another vendor's listings, and a relay that
fails mid-batch leaves its events pending with the projection unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from catalog import services
from catalog.models import OutboxEvent, Product
from marketplace.models import Listing
from marketplace.services import listing_apply, listings_apply_batch
from tests.factories import ProductFactory
from tests.marketplace.helpers import payload

pytestmark = pytest.mark.django_db


def _event(product_id: int, version: int, title: str = "", *, deleted: bool = False, **kwargs: Any) -> dict[str, Any]:
    return {"product_id": product_id, "version": version, "deleted": deleted,
            "payload": {} if deleted else payload(title or f"Item {product_id} v{version}", **kwargs)}


def _rows(vendor: Any) -> dict[int, tuple[int, str, str, int]]:
    return {row[0]: row[1:] for row in Listing.objects.filter(vendor=vendor).values_list(
        "product_id", "version", "status", "title", "price_min")}


def test_a_stale_event_never_overwrites_a_newer_version(vendor_a):
    assert listings_apply_batch(vendor=vendor_a, events=[_event(7001, 5, "Newest", price=500)]) == 1
    # An older version, alone or in a batch with others, leaves the row as it is.
    assert listings_apply_batch(vendor=vendor_a, events=[_event(7001, 4, "Older", price=400)]) == 0
    assert listings_apply_batch(vendor=vendor_a, events=[
        _event(7001, 3, "Oldest", price=300), _event(7002, 1, "Other")]) == 1
    assert _rows(vendor_a)[7001] == (5, "active", "Newest", 500)
    # Inside one batch the newest event of a product wins, whatever the order of the events.
    assert listings_apply_batch(vendor=vendor_a, events=[
        _event(7003, 9, "Nine"), _event(7003, 8, "Eight"), _event(7003, 7, "Seven")]) == 1
    assert _rows(vendor_a)[7003][:3] == (9, "active", "Nine")


def test_a_duplicate_batch_changes_nothing(vendor_a):
    batch = [_event(7101, 1, "Created"), _event(7102, 2, "Updated"), _event(7103, 3, deleted=True)]
    assert listings_apply_batch(vendor=vendor_a, events=batch) == 3
    before = list(Listing.objects.filter(vendor=vendor_a).order_by("product_id").values())
    assert listings_apply_batch(vendor=vendor_a, events=batch) == 0
    assert listings_apply_batch(vendor=vendor_a, events=batch + batch) == 0
    # Not even `updated_at` moves: re-delivery writes no row.
    assert list(Listing.objects.filter(vendor=vendor_a).order_by("product_id").values()) == before


def test_one_batch_mixes_creates_updates_and_deletes(vendor_a):
    listings_apply_batch(vendor=vendor_a, events=[
        _event(7201, 1, "Updated later", price=100), _event(7202, 1, "Deleted later", price=200),
        _event(7203, 5, "Kept", price=300)])
    applied = listings_apply_batch(vendor=vendor_a, events=[
        _event(7201, 2, "Updated", price=150),        # update
        _event(7202, 2, deleted=True),                # delete of an existing listing
        _event(7204, 1, "Created", price=400),        # create
        _event(7205, 3, deleted=True),                # delete before the create arrived
        _event(7203, 4, "Stale", price=999),          # stale: ignored
        _event(7206, 1, "Created then deleted"), _event(7206, 2, deleted=True),
    ])
    assert applied == 5
    rows = _rows(vendor_a)
    assert rows[7201] == (2, "active", "Updated", 150)
    # A tombstone keeps the listing's last content, only its status and version change.
    assert rows[7202] == (2, "deleted", "Deleted later", 200)
    assert rows[7203] == (5, "active", "Kept", 300)
    assert rows[7204] == (1, "active", "Created", 400)
    assert rows[7205] == (3, "deleted", "", 0)
    assert rows[7206] == (2, "deleted", "", 0)
    # A late "changed" cannot bring a deleted product back.
    assert listings_apply_batch(vendor=vendor_a, events=[_event(7205, 2, "Late"), _event(7202, 1, "Late")]) == 0
    assert {rows[pk][1] for pk in (7202, 7205)} == {"deleted"}


def test_a_vendors_batch_never_touches_another_vendors_listing(vendor_a, vendor_b):
    listing_apply(vendor=vendor_b, product_id=7301, version=1, payload=payload("Bravo's own", price=700))
    listing_apply(vendor=vendor_b, product_id=7302, version=1, payload=payload("Bravo's other", price=800))
    bravo = list(Listing.objects.filter(vendor=vendor_b).order_by("product_id").values())
    # Same product ids (each schema numbers its own products), newer versions, a delete.
    assert listings_apply_batch(vendor=vendor_a, events=[
        _event(7301, 5, "Alpha's", price=100), _event(7302, 5, deleted=True)]) == 2
    assert list(Listing.objects.filter(vendor=vendor_b).order_by("product_id").values()) == bravo
    assert _rows(vendor_a) == {7301: (5, "active", "Alpha's", 100), 7302: (5, "deleted", "", 0)}
    assert set(Listing.objects.filter(product_id__in=[7301, 7302], vendor=vendor_a).values_list(
        "vendor_name", flat=True)) == {vendor_a.name}


def test_a_batch_costs_the_same_few_queries_whatever_its_size(vendor_a, django_assert_max_num_queries):
    events = [_event(7400 + n, 1) for n in range(200)] + [_event(7700 + n, 1, deleted=True) for n in range(50)]
    # The vendor fixture ends in the vendor's schema (its default shipping table, shipping branch):
    # settle the public search_path first so its one-off SET is not counted as the batch's.
    assert not Listing.objects.filter(vendor=vendor_a).exists()
    # Savepoint, changed upsert, deleted upsert, release (no per-row statement).
    with django_assert_max_num_queries(4):
        assert listings_apply_batch(vendor=vendor_a, events=events) == 250
    updates = [_event(7400 + n, 2, f"Renamed {n}") for n in range(200)]
    with django_assert_max_num_queries(3):
        assert listings_apply_batch(vendor=vendor_a, events=updates) == 200
    assert Listing.objects.get(vendor=vendor_a, product_id=7450).title == "Renamed 50"


def test_a_relay_failing_mid_batch_leaves_its_events_pending(vendor_a, in_schema, relay, monkeypatch):
    import marketplace.services

    with in_schema(vendor_a):
        products = [ProductFactory(name=f"Crash Item {n}", sku=f"CR-{n}") for n in range(3)]
    real_apply = marketplace.services.listings_apply_batch

    def apply_then_crash(**kwargs: Any) -> int:
        real_apply(**kwargs)  # the projection is written, then the relay dies before marking
        raise RuntimeError("worker lost")

    monkeypatch.setattr(marketplace.services, "listings_apply_batch", apply_then_crash)
    with pytest.raises(RuntimeError):
        relay(vendor_a)
    assert not Listing.objects.filter(vendor=vendor_a, product_id__in=[p.pk for p in products]).exists()
    with in_schema(vendor_a):
        assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 3
    monkeypatch.setattr(marketplace.services, "listings_apply_batch", real_apply)
    assert relay(vendor_a) == 3
    assert Listing.objects.filter(vendor=vendor_a, product_id__in=[p.pk for p in products]).count() == 3
    with in_schema(vendor_a):
        assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()
        # Delivered again (e.g. a relay that committed but was retried): nothing changes.
        events = list(OutboxEvent.objects.values_list("product_id", "version", "payload"))
    assert listings_apply_batch(vendor=vendor_a, events=[
        {"product_id": pk, "version": version, "payload": body, "deleted": False} for pk, version, body in events]) == 0


@pytest.mark.django_db(transaction=True)
def test_a_bulk_change_queues_one_relay_per_transaction(vendor_a, in_schema, monkeypatch):
    queued: list[str] = []
    monkeypatch.setattr(services.outbox, "_relay_soon", queued.append)
    schema = vendor_a.store.schema_name
    try:
        with in_schema(vendor_a):
            products = [ProductFactory(name=f"Bulk Item {n}", sku=f"BK-{n}") for n in range(4)]
            queued.clear()
            assert services.product_prices_change(product_ids=[p.pk for p in products], percent=10) == 4
            assert queued == [schema]  # four events, one commit, one relay

            # An event whose savepoint rolled back took its hook with it: the next event adds one.
            queued.clear()
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        services.product_update(product=Product(pk=products[0].pk), name="Rolled back")
                        raise RuntimeError("undo")
                except RuntimeError:
                    pass
                services.product_update(product=Product(pk=products[1].pk), name="Kept")
            assert queued == [schema]

            queued.clear()
            with pytest.raises(RuntimeError), transaction.atomic():
                services.product_update(product=Product(pk=products[2].pk), name="Never committed")
                raise RuntimeError("undo")
            assert queued == []
            assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 4 + 4 + 1
    finally:
        with in_schema(vendor_a):
            Product.objects.all().delete()
            OutboxEvent.objects.all().delete()
