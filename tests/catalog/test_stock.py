"""The stock module: reservations all or nothing, units given back, history and outbox with every write."""

from __future__ import annotations

import pytest
from django.db import transaction

from catalog.models import OutboxEvent, StockAdjustment, Variant
from catalog.services import stock
from tests.factories.catalog import ProductFactory

pytestmark = pytest.mark.django_db


def _two_variant_product(sku: str, first: int, second: int):
    return ProductFactory(name=f"Product {sku}", variants=[
        {"sku": f"{sku}-1", "price_amount": 1000, "stock": first},
        {"sku": f"{sku}-2", "price_amount": 1000, "stock": second},
    ])


def _levels(*variants: Variant) -> list[int]:
    return [Variant.objects.values_list("stock", flat=True).get(pk=v.pk) for v in variants]


def test_reserve_takes_every_line_writes_history_and_one_event_per_product(vendor_a, in_schema):
    with in_schema(vendor_a):
        mugs = _two_variant_product("MUG", 5, 3)
        lamp = ProductFactory(name="Lamp", sku="LAMP", stock=2)
        m1, m2 = mugs.variants.order_by("sku")
        lamp_variant = lamp.variants.get()
        events_before = OutboxEvent.objects.count()

        after = stock.stock_reserve(lines=[(m1.pk, 2), (lamp_variant.pk, 2), (m2.pk, 1), (m1.pk, 1)],
                                    note="order M-1 reserved", user_id=7, user_email="b@example.com")

        assert after == {m1.pk: 2, m2.pk: 2, lamp_variant.pk: 0}
        assert _levels(m1, m2, lamp_variant) == [2, 2, 0]
        sold = StockAdjustment.objects.filter(reason="sold").order_by("variant_id")
        assert [(a.variant_id, a.delta, a.stock_after, a.note, a.user_id) for a in sold] == [
            (m1.pk, -3, 2, "order M-1 reserved", 7), (m2.pk, -1, 2, "order M-1 reserved", 7),
            (lamp_variant.pk, -2, 0, "order M-1 reserved", 7)]
        new_events = OutboxEvent.objects.order_by("id")[events_before:]
        assert sorted(e.product_id for e in new_events) == sorted([mugs.pk, lamp.pk])
        assert {e.product_id: e.payload["stock_total"] for e in new_events} == {mugs.pk: 4, lamp.pk: 0}


def test_reserve_short_on_one_line_takes_nothing(vendor_a, in_schema):
    with in_schema(vendor_a):
        plenty = ProductFactory(name="Plenty", sku="PL", stock=10).variants.get()
        scarce = ProductFactory(name="Scarce", sku="SC", stock=1).variants.get()
        history_before = StockAdjustment.objects.count()
        events_before = OutboxEvent.objects.count()

        with pytest.raises(stock.StockShort) as short, transaction.atomic():
            stock.stock_reserve(lines=[(plenty.pk, 4), (scarce.pk, 2)], note="order M-2 reserved")

        assert short.value.variant_id == scarce.pk and short.value.code == "out_of_stock"
        assert _levels(plenty, scarce) == [10, 1]
        assert StockAdjustment.objects.count() == history_before
        assert OutboxEvent.objects.count() == events_before


@pytest.mark.parametrize(("give", "reason"), [(stock.stock_release, "correction"), (stock.stock_restock, "returned")])
def test_units_given_back_are_recorded_and_published_and_gone_variants_skipped(vendor_a, in_schema, give, reason):
    with in_schema(vendor_a):
        kept = ProductFactory(name="Kept", sku="KEPT", stock=0)
        gone = ProductFactory(name="Gone", sku="GONE", stock=0)
        kept_variant, gone_id = kept.variants.get(), gone.variants.get().pk
        gone.delete()
        events_before = OutboxEvent.objects.count()

        after = give(lines=[(kept_variant.pk, 2), (gone_id, 1), (kept_variant.pk, 1)], note="claim C-1 returned",
                     user_id=3, user_email="v@example.com")

        assert after == {kept_variant.pk: 3}
        assert _levels(kept_variant) == [3]
        back = StockAdjustment.objects.filter(variant=kept_variant).latest("id")
        assert (back.delta, back.stock_after, back.reason, back.note, back.user_email) == (
            3, 3, reason, "claim C-1 returned", "v@example.com")
        event = OutboxEvent.objects.order_by("id")[events_before:].get()
        assert (event.product_id, event.payload["stock_total"]) == (kept.pk, 3)


def test_nothing_given_back_writes_no_event(vendor_a, in_schema):
    with in_schema(vendor_a):
        events_before = OutboxEvent.objects.count()
        assert stock.stock_release(lines=[(987654, 1)], note="gone") == {}
        assert OutboxEvent.objects.count() == events_before


def test_import_levels_write_only_the_changes(vendor_a, in_schema):
    with in_schema(vendor_a):
        product = _two_variant_product("IMP", 4, 2)
        first, second = product.variants.order_by("sku")

        assert stock.stock_import(levels=[(first, 9), (second, 2)], user_id=5) == 1

        assert _levels(first, second) == [9, 2]
        change = StockAdjustment.objects.filter(reason="import").get()
        assert (change.variant_id, change.delta, change.stock_after, change.user_id) == (first.pk, 5, 9, 5)
