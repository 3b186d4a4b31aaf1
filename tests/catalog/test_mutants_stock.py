"""Stock given back at its edges: a zero quantity gives nothing back and writes nothing; the
last unit can be reserved (each case kills a surviving mutant of catalog/services/stock.py;
docs/mutation.md)."""

from __future__ import annotations

import pytest
from django.db import DataError

from catalog.models import OutboxEvent, StockAdjustment, Variant
from catalog.services import stock
from tests.factories.catalog import ProductFactory

pytestmark = pytest.mark.django_db

# Two conditional UPDATEs, one statement for the levels per location (docs/adr/0082), the history
# insert, the outbox writes for the listings.
# 10: the outbox snapshot carries the products' translations (one prefetch SELECT; translations
#     branch, docs/adr/0089).
QUERIES_FOR_TWO_VARIANTS = 10


@pytest.mark.parametrize("give", [stock.stock_release, stock.stock_restock])
def test_a_zero_quantity_gives_nothing_back_and_writes_nothing(vendor_a, in_schema, give):
    with in_schema(vendor_a):
        variant = ProductFactory(name="Zero", sku="ZERO", stock=4).variants.get()
        history, events = StockAdjustment.objects.count(), OutboxEvent.objects.count()
        assert give(lines=[(variant.pk, 0)], note="nothing") == {}
        assert StockAdjustment.objects.count() == history
        assert OutboxEvent.objects.count() == events


def test_the_last_units_can_be_reserved(vendor_a, in_schema):
    with in_schema(vendor_a):
        variant = ProductFactory(name="Last", sku="LAST", stock=3).variants.get()
        assert stock.stock_reserve(lines=[(variant.pk, 3)], note="all of it") == {variant.pk: 0}
        assert Variant.objects.get(pk=variant.pk).stock == 0
        with pytest.raises(stock.StockShort):
            stock.stock_reserve(lines=[(variant.pk, 1)], note="one more")


def test_a_reservation_costs_one_update_per_variant_and_no_savepoint(vendor_a, in_schema,
                                                                     django_assert_num_queries):
    """Checkout reserves in every vendor's schema inside its own transaction: a savepoint here
    would add two statements per vendor to every checkout."""
    with in_schema(vendor_a):
        first, second = (ProductFactory(name=f"Q{i}", sku=f"Q{i}", stock=5).variants.get() for i in (1, 2))
        with django_assert_num_queries(QUERIES_FOR_TWO_VARIANTS) as captured:
            stock.stock_reserve(lines=[(first.pk, 1), (second.pk, 2)], note="pinned")
        sql = [query["sql"] for query in captured.captured_queries]
        assert not any("SAVEPOINT" in statement for statement in sql)
        assert sum('"stock" = "stock" -' in statement for statement in sql) == 2


@pytest.mark.parametrize("give", [stock.stock_release, stock.stock_restock])
def test_every_line_is_given_back_past_a_zero_and_a_deleted_variant(vendor_a, in_schema, give,
                                                                   django_assert_num_queries):
    with in_schema(vendor_a):
        gone = ProductFactory(name="Gone first", sku="GONE1", stock=0)
        zero, one = (ProductFactory(name=f"Back {i}", sku=f"BACK{i}", stock=0).variants.get() for i in (1, 2))
        gone_id = gone.variants.get().pk
        gone.delete()
        assert gone_id < zero.pk < one.pk  # the skipped lines come first in variant order
        # Two UPDATEs (the deleted variant's matches nothing), as for a reservation of two.
        with django_assert_num_queries(QUERIES_FOR_TWO_VARIANTS) as captured:
            after = give(lines=[(gone_id, 1), (zero.pk, 0), (one.pk, 1)], note="n" * 250)
        assert after == {one.pk: 1}
        assert not any("SAVEPOINT" in query["sql"] for query in captured.captured_queries)
        back = StockAdjustment.objects.filter(variant=one).latest("id")
        assert (back.delta, back.stock_after, back.note) == (1, 1, "n" * 200)


def test_a_reservation_note_is_cut_to_two_hundred_characters(vendor_a, in_schema):
    with in_schema(vendor_a):
        variant = ProductFactory(name="Noted", sku="NOTED", stock=2).variants.get()
        stock.stock_reserve(lines=[(variant.pk, 1)], note="r" * 250)
        assert StockAdjustment.objects.filter(variant=variant, reason="sold").get().note == "r" * 200


@pytest.mark.django_db(transaction=True)
def test_without_a_callers_transaction_each_write_is_still_all_or_none(vendor_a, in_schema):
    """In autocommit (no caller's transaction) the services' own atomic blocks are what make a
    stock write all or none; inside a test's transaction they cannot be seen. A history row that
    the database refuses (an author email longer than its column) comes after the updates."""
    too_long = "x" * 250 + "@example.com"
    with in_schema(vendor_a):
        plenty = ProductFactory(name="Auto plenty", sku="AUTOP", stock=10).variants.get()
        scarce = ProductFactory(name="Auto scarce", sku="AUTOS", stock=1).variants.get()
        history = StockAdjustment.objects.count()
        with pytest.raises(stock.StockShort):
            stock.stock_reserve(lines=[(plenty.pk, 4), (scarce.pk, 2)], note="autocommit")
        with pytest.raises(DataError):
            stock.stock_reserve(lines=[(plenty.pk, 4)], note="refused history", user_email=too_long)
        with pytest.raises(DataError):
            stock.stock_release(lines=[(plenty.pk, 4)], note="refused history", user_email=too_long)
        assert [Variant.objects.get(pk=v.pk).stock for v in (plenty, scarce)] == [10, 1]
        assert StockAdjustment.objects.count() == history
