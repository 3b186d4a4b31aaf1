"""Stock per location, moves, backorders and pre-orders, low-stock crossings, bulk updates (docs/adr/0082)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from catalog.errors import InvalidStockLocation
from catalog.models import StockAdjustment, StockBulkRequest, StockLevel, StockLocation, Variant
from catalog.services import stock
from catalog.services.locations import stock_location_create, stock_location_delete
from common.exceptions import Conflict
from tests.factories.catalog import ProductFactory
from tests.support.queued import queued_tasks

pytestmark = pytest.mark.django_db


def _here(variant: Variant) -> dict[str, int]:
    return {level.location.name: level.quantity
            for level in StockLevel.objects.filter(variant=variant).select_related("location") if level.quantity}


def _stock(variant: Variant) -> int:
    return Variant.objects.values_list("stock", flat=True).get(pk=variant.pk)


def _refused(variant: Variant, units: int) -> bool:
    """A reservation refused (in its own transaction, as checkout runs it): nothing taken."""
    try:
        with transaction.atomic():
            stock.stock_reserve(lines=[(variant.pk, units)], note="refused?")
    except stock.StockShort:
        return True
    return False


def _warehouses() -> tuple[StockLocation, StockLocation, StockLocation]:
    main = stock.stock_location_default()
    near = stock_location_create(name="Lyon", country="FR", priority=10)
    far = stock_location_create(name="Porto", country="pt", priority=20)
    return main, near, far


def test_every_schema_has_one_default_location_holding_the_initial_stock(vendor_a, in_schema):
    with in_schema(vendor_a):
        variant = ProductFactory(name="Mug", sku="MUG", stock=7).variants.get()
        default = StockLocation.objects.get(is_default=True)
        assert StockLocation.objects.count() == 1 and default.name == "Main warehouse"
        assert _here(variant) == {"Main warehouse": 7}
        assert StockAdjustment.objects.get(variant=variant).location == default


def test_a_reservation_takes_the_default_first_then_by_priority(vendor_a, in_schema):
    with in_schema(vendor_a):
        _main, near, far = _warehouses()
        variant = ProductFactory(name="Mug", sku="MUG", stock=2).variants.get()
        stock.stock_adjust(variant=variant, delta=3, reason="received", location=far)
        stock.stock_adjust(variant=variant, delta=4, reason="received", location=near)
        assert _stock(variant) == 9

        assert stock.stock_reserve(lines=[(variant.pk, 4)], note="order 1") == {variant.pk: 5}
        assert _here(variant) == {"Lyon": 2, "Porto": 3}  # 2 from the default, 2 from priority 10
        stock.stock_reserve(lines=[(variant.pk, 3)], note="order 2")
        assert _here(variant) == {"Porto": 2}


def test_the_last_unit_across_locations_is_sold_once(vendor_a, in_schema):
    with in_schema(vendor_a):
        _main, near, _far = _warehouses()
        variant = ProductFactory(name="Mug", sku="MUG", stock=1).variants.get()
        stock.stock_adjust(variant=variant, delta=1, reason="received", location=near)
        stock.stock_reserve(lines=[(variant.pk, 2)], note="both")
        assert _refused(variant, 1)
        assert _stock(variant) == 0 and _here(variant) == {}


def test_a_move_shifts_units_and_keeps_the_total(vendor_a, in_schema):
    with in_schema(vendor_a):
        main, near, _far = _warehouses()
        variant = ProductFactory(name="Mug", sku="MUG", stock=5).variants.get()
        stock.stock_move(variant=variant, source=main, target=near, quantity=3, note="rebalance")
        assert _here(variant) == {"Main warehouse": 2, "Lyon": 3} and _stock(variant) == 5
        moved = StockAdjustment.objects.filter(variant=variant, reason="moved").order_by("delta")
        assert [(a.location, a.delta, a.stock_after) for a in moved] == [(main, -3, 5), (near, 3, 5)]


def test_a_move_below_zero_is_refused_and_changes_nothing(vendor_a, in_schema):
    with in_schema(vendor_a):
        main, near, _far = _warehouses()
        variant = ProductFactory(name="Mug", sku="MUG", stock=2).variants.get()
        history = StockAdjustment.objects.count()
        with pytest.raises(stock.InvalidStockAdjustment) as refused:
            stock.stock_move(variant=variant, source=main, target=near, quantity=3)
        assert refused.value.fields == {"quantity": ["below_zero"]}
        assert "Main warehouse holds 2" in refused.value.message
        with pytest.raises(stock.InvalidStockAdjustment):
            stock.stock_move(variant=variant, source=main, target=main, quantity=1)
        with pytest.raises(stock.InvalidStockAdjustment):
            stock.stock_move(variant=variant, source=main, target=near, quantity=0)
        assert _here(variant) == {"Main warehouse": 2} and StockAdjustment.objects.count() == history


def test_an_adjustment_below_zero_at_one_location_is_refused(vendor_a, in_schema):
    with in_schema(vendor_a):
        _main, near, _far = _warehouses()
        variant = ProductFactory(name="Mug", sku="MUG", stock=5).variants.get()
        with pytest.raises(stock.InvalidStockAdjustment):
            stock.stock_adjust(variant=variant, delta=-1, reason="damaged", location=near)
        assert _stock(variant) == 5 and _here(variant) == {"Main warehouse": 5}


def test_backorders_sell_up_to_the_limit_and_received_units_pay_them_first(vendor_a, in_schema):
    with in_schema(vendor_a):
        variant = ProductFactory(name="Mug", sku="MUG", stock=2).variants.get()
        assert _refused(variant, 3)
        stock.stock_policy_set(variant=variant, policy="backorder", backorder_limit=3)
        left = stock.stock_reserve(lines=[(variant.pk, 4)], note="two backordered")
        assert left == {variant.pk: -2} and stock.backordered_units(stock_after=-2, units=4) == 2
        assert _here(variant) == {}
        stock.stock_reserve(lines=[(variant.pk, 1)], note="the last allowed")
        assert _refused(variant, 1)
        with pytest.raises(stock.InvalidStockAdjustment):  # 3 owed: the limit cannot drop below
            stock.stock_policy_set(variant=variant, policy="backorder", backorder_limit=2)

        stock.stock_adjust(variant=variant, delta=5, reason="received")
        assert _stock(variant) == 2 and _here(variant) == {"Main warehouse": 2}
        stock.stock_release(lines=[(variant.pk, 1)], note="cancelled")
        assert _stock(variant) == 3 and _here(variant) == {"Main warehouse": 3}


def test_a_cancelled_backorder_gives_back_no_units_on_hand(vendor_a, in_schema):
    with in_schema(vendor_a):
        variant = ProductFactory(name="Mug", sku="MUG", stock=1).variants.get()
        stock.stock_policy_set(variant=variant, policy="backorder", backorder_limit=5)
        stock.stock_reserve(lines=[(variant.pk, 3)], note="order")
        stock.stock_release(lines=[(variant.pk, 3)], note="cancelled")
        assert _stock(variant) == 1 and _here(variant) == {"Main warehouse": 1}


def test_a_preorder_needs_its_date(vendor_a, in_schema):
    with in_schema(vendor_a):
        variant = ProductFactory(name="Mug", sku="MUG", stock=0).variants.get()
        with pytest.raises(stock.InvalidStockAdjustment) as refused:
            stock.stock_policy_set(variant=variant, policy="preorder", backorder_limit=10)
        assert refused.value.fields == {"available_on": ["required"]}
        with pytest.raises(stock.InvalidStockAdjustment):
            stock.stock_policy_set(variant=variant, policy="later", backorder_limit=10)
        stock.stock_policy_set(variant=variant, policy="preorder", backorder_limit=10,
                               available_on=dt.date(2027, 1, 12))
        assert stock.stock_reserve(lines=[(variant.pk, 2)], note="pre-order") == {variant.pk: -2}
        with pytest.raises(stock.InvalidStockAdjustment):  # 2 owed: cannot stop selling beyond stock
            stock.stock_policy_set(variant=variant, policy="deny")


def _low_alerts(callbacks: Any) -> list[tuple[str, tuple[Any, ...], str]]:
    return [task for task in queued_tasks(callbacks) if task[0] == stock.LOW_STOCK_TASK]


def test_a_low_stock_alert_is_queued_once_per_crossing(vendor_a, in_schema, django_capture_on_commit_callbacks):
    schema = vendor_a.store.schema_name
    with in_schema(vendor_a):
        variant = ProductFactory(name="Mug", sku="MUG", stock=8).variants.get()
        Variant.objects.filter(pk=variant.pk).update(low_stock_threshold=5)
        steps = []
        for units in (2, 1, 1, 1):  # 8 → 6 → 5 (crossed) → 4 → 3
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                stock.stock_reserve(lines=[(variant.pk, units)], note="sale")
            steps.append(_low_alerts(callbacks))
        assert steps == [[], [(stock.LOW_STOCK_TASK, ([variant.pk],), schema)], [], []]

        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            stock.stock_adjust(variant=variant, delta=10, reason="received")  # back above: 13
            stock.stock_adjust(variant=variant, delta=-9, reason="damaged")  # 4: crossed again
        assert _low_alerts(callbacks) == [(stock.LOW_STOCK_TASK, ([variant.pk],), schema)]


def test_the_low_stock_task_tells_the_team_once_per_crossing(vendor_a, owner_a, in_schema):
    from notifications.models import Notification
    from notifications.tasks import low_stock_alert, low_stock_scan

    with in_schema(vendor_a):
        variant = ProductFactory(name="Nearly gone", sku="NG", stock=6).variants.get()
        stock.stock_reserve(lines=[(variant.pk, 2)], note="sale")  # 6 → 4, alert level 5
        assert low_stock_alert([variant.pk]) == 1
        assert low_stock_alert([variant.pk]) == 0  # a redelivered task: the same crossing
    low_stock_scan()  # the hourly sweep knows this crossing was told
    notices = Notification.objects.filter(recipient=owner_a, kind="low_stock")
    assert [(n.context["variant_name"], n.context["stock"]) for n in notices] == [("NG", 4)]
    with in_schema(vendor_a):
        stock.stock_adjust(variant=variant, delta=10, reason="received")
        stock.stock_reserve(lines=[(variant.pk, 11)], note="big sale")  # 14 → 3: a new crossing
        assert low_stock_alert([variant.pk]) == 1


def test_a_bulk_update_applies_every_row(vendor_a, in_schema):
    with in_schema(vendor_a):
        _main, near, _far = _warehouses()
        mug = ProductFactory(name="Mug", sku="MUG", stock=5).variants.get()
        cup = ProductFactory(name="Cup", sku="CUP", stock=1).variants.get()
        result = stock.stock_bulk_update(rows=[
            {"sku": "MUG", "location_id": near.pk, "set": 4},
            {"sku": "MUG", "adjust": -2, "reason": "damaged"},
            {"sku": "CUP", "adjust": 6, "reason": "received"},
        ])
        assert [(r["sku"], r["quantity"], r["stock"]) for r in result] == [("MUG", 4, 7), ("MUG", 3, 7), ("CUP", 7, 7)]
        assert _here(mug) == {"Main warehouse": 3, "Lyon": 4} and _here(cup) == {"Main warehouse": 7}


def test_a_bulk_update_with_a_bad_row_changes_nothing_and_names_each_row(vendor_a, in_schema):
    with in_schema(vendor_a):
        _main, near, _far = _warehouses()
        mug = ProductFactory(name="Mug", sku="MUG", stock=5).variants.get()
        history = StockAdjustment.objects.count()
        with pytest.raises(stock.InvalidStockAdjustment) as refused:
            stock.stock_bulk_update(rows=[
                {"sku": "MUG", "set": 9},
                {"sku": "NOPE", "set": 1},
                {"sku": "MUG", "location_id": 999999, "adjust": 1},
                {"sku": "MUG", "set": 1, "adjust": 1},
                {"sku": "MUG", "set": -1},
                "not a row",
            ])
        rows = refused.value.fields["rows"]
        assert [(r["row"], sorted(r["fields"])) for r in rows] == [  # type: ignore[index]
            (1, ["sku"]), (2, ["location_id"]), (3, ["set"]), (4, ["set"]), (5, ["row"])]
        with pytest.raises(stock.InvalidStockAdjustment) as short:  # valid rows, one below zero at Lyon
            stock.stock_bulk_update(rows=[{"sku": "MUG", "set": 9}, {"sku": "MUG", "location_id": near.pk,
                                                                     "adjust": -1}])
        assert [r["row"] for r in short.value.fields["rows"]] == [1]  # type: ignore[index]
        assert _stock(mug) == 5 and _here(mug) == {"Main warehouse": 5}
        assert StockAdjustment.objects.count() == history
        with pytest.raises(stock.InvalidStockAdjustment):
            stock.stock_bulk_update(rows=[])


def test_a_bulk_update_with_an_idempotency_key_applies_once(vendor_a, in_schema):
    with in_schema(vendor_a):
        mug = ProductFactory(name="Mug", sku="MUG", stock=5).variants.get()
        rows = [{"sku": "MUG", "adjust": 2, "reason": "received"}]
        first = stock.stock_bulk_update(rows=rows, idempotency_key="k-1")
        again = stock.stock_bulk_update(rows=rows, idempotency_key="k-1")
        assert first == again and _stock(mug) == 7
        with pytest.raises(Conflict):
            stock.stock_bulk_update(rows=[{"sku": "MUG", "adjust": 3}], idempotency_key="k-1")
        with pytest.raises(stock.InvalidStockAdjustment):  # refused: the key stays free for a fixed retry
            stock.stock_bulk_update(rows=[{"sku": "MUG", "adjust": -50}], idempotency_key="k-2")
        assert not StockBulkRequest.objects.filter(key="k-2").exists() and _stock(mug) == 7


def test_a_location_holding_stock_or_the_default_cannot_be_deleted(vendor_a, in_schema):
    with in_schema(vendor_a):
        main, near, far = _warehouses()
        variant = ProductFactory(name="Mug", sku="MUG", stock=1).variants.get()
        stock.stock_adjust(variant=variant, delta=1, reason="received", location=near)
        for location in (main, near):
            with pytest.raises(InvalidStockLocation):
                stock_location_delete(location=location)
        stock_location_delete(location=far)
        assert list(StockLocation.objects.values_list("name", flat=True)) == ["Main warehouse", "Lyon"]
        with pytest.raises(InvalidStockLocation):
            stock_location_create(name="lyon", country="FR")
        with pytest.raises(InvalidStockLocation):
            stock_location_create(name="Nowhere", country="XYZ")
