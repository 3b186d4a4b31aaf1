"""Every metric against a fixture worked out by hand, and the rollups' idempotence.

The fixture (vendor A, two days in March 2026; vendor B one order):
  day 1: visitors v1, v2, v3 view A's products (4 views: v1 twice), v1 adds to cart and starts
         checkout; order 101 (product 1 ×2, 3000, commission 300), order 102 (product 1 ×1, 1500,
         commission 150 + product 2 ×1, 2500, commission 250). B: v1 views, order 104 (10000, 1000).
  day 2: visitor v4 views product 2; order 103 (product 2 ×1, 2500, 250); 1500 refunded on 102.
  Vendor A, both days: visits 3 + 1 = 4, orders 3, conversion 3/4 = 75%, revenue 9500,
  AOV 9500/3 = 3166.67 → 3167. Platform (EUR): GMV 19500, commission 1950, take rate 10%,
  orders 4, AOV 4875; funnel 4 viewing visitors, 1 cart, 1 checkout, 4 orders.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from analytics import rollups, selectors
from analytics.models import (
    BuyerDay,
    ListingDay,
    PlatformDay,
    RollupCursor,
    SearchTermDay,
    VendorDay,
)
from analytics.services import events_insert

pytestmark = pytest.mark.django_db
D1, D2 = date(2026, 3, 10), date(2026, 3, 11)


def at(day: date, minute: int = 0) -> datetime:
    return datetime.combine(day, time(10, minute), tzinfo=UTC)


def _fixture(a: int, b: int) -> None:
    def page(day, minute, kind, visitor, vendor, product, **extra):
        return {"occurred_at": at(day, minute), "kind": kind, "visitor": visitor * 8, "vendor_id": vendor,
                "product_id": product, **extra}

    def sale(day, order, vendor, product, qty, amount, commission):
        return {"occurred_at": at(day, 30), "kind": "purchase", "vendor_id": vendor, "product_id": product,
                "order_id": order, "quantity": qty, "amount": amount, "commission": commission, "currency": "EUR"}

    events_insert([
        page(D1, 1, "view", "v1v1", a, 1), page(D1, 2, "view", "v1v1", a, 1), page(D1, 3, "view", "v2v2", a, 1),
        page(D1, 4, "view", "v3v3", a, 2), page(D1, 5, "cart_add", "v1v1", a, 1), page(D1, 6, "checkout", "v1v1", a, None),
        page(D1, 7, "view", "v1v1", b, 9),
        sale(D1, 101, a, 1, 2, 3000, 300), sale(D1, 102, a, 1, 1, 1500, 150), sale(D1, 102, a, 2, 1, 2500, 250),
        sale(D1, 104, b, 9, 1, 10000, 1000),
        page(D2, 1, "view", "v4v4", a, 2), sale(D2, 103, a, 2, 1, 2500, 250),
        {"occurred_at": at(D2, 40), "kind": "refund", "vendor_id": a, "order_id": 102, "amount": 1500, "currency": "EUR"},
        {"occurred_at": at(D1, 8), "kind": "search", "visitor": "v2v2" * 8, "term": "tent"},
        {"occurred_at": at(D1, 9), "kind": "search", "visitor": "v3v3" * 8, "term": "tent"},
        {"occurred_at": at(D1, 10), "kind": "search", "visitor": "v3v3" * 8, "term": "zzqxv", "zero_results": True},
    ])
    rollups.day_rollup(D1)
    rollups.day_rollup(D2)


def test_vendor_metrics_match_the_hand_computed_fixture(vendor_a, vendor_b):
    _fixture(vendor_a.pk, vendor_b.pk)
    report = selectors.vendor_report(vendor_id=vendor_a.pk, currency="EUR", start=D1, end=D2)
    assert (report.views, report.visits, report.cart_adds, report.checkouts) == (5, 4, 1, 1)
    assert (report.orders, report.units, report.revenue, report.refunded) == (3, 5, 9500, 1500)
    assert report.conversion == 0.75
    assert report.aov == 3167
    assert [(p["product_id"], p["revenue"], p["units"], p["orders"], p["views"]) for p in report.top_products] == [
        (2, 5000, 2, 2, 2), (1, 4500, 3, 2, 3)]
    assert [(r["day"], r["visits"], r["orders"], r["revenue"]) for r in report.daily] == [
        (D1, 3, 2, 7000), (D2, 1, 1, 2500)]


def test_platform_metrics_match_the_hand_computed_fixture(vendor_a, vendor_b):
    _fixture(vendor_a.pk, vendor_b.pk)
    report = selectors.platform_report(currency="EUR", start=D1, end=D2)
    assert (report.gmv, report.commission, report.orders, report.refunded) == (19500, 1950, 4, 1500)
    assert report.take_rate == 0.1
    assert report.aov == 4875
    assert [(s["count"], s["of_first"]) for s in report.funnel] == [(4, 1.0), (1, 0.25), (1, 0.25), (4, 1.0)]
    assert [(v["vendor_id"], v["revenue"]) for v in report.vendors] == [(vendor_b.pk, 10000), (vendor_a.pk, 9500)]
    assert report.zero_terms == [{"term": "zzqxv", "count": 1, "searches": 1}]
    traffic = PlatformDay.objects.get(day=D1, currency="")
    assert (traffic.searches, traffic.zero_result_searches, traffic.visits) == (3, 1, 3)


def test_rollups_are_idempotent_when_run_again(vendor_a, vendor_b):
    _fixture(vendor_a.pk, vendor_b.pk)

    def rows():
        return {model.__name__: sorted(tuple(v for k, v in row.items() if k != "id")
                                       for row in model.objects.values())
                for model in (VendorDay, ListingDay, PlatformDay, SearchTermDay, BuyerDay)}

    before = rows()
    assert before["VendorDay"]  # the fixture made rows
    rollups.day_rollup(D1)
    rollups.day_rollup(D2)
    rollups.day_rollup(D1)
    assert rows() == before


def test_the_scheduled_run_starts_from_the_last_finished_day(vendor_a, vendor_b):
    _fixture(vendor_a.pk, vendor_b.pk)
    RollupCursor.objects.filter(name=rollups.CURSOR).delete()
    assert rollups.rollup_run(today=D2, first_day=D1) == [D1, D2]
    assert RollupCursor.objects.get(name=rollups.CURSOR).day == D1
    # The next day's run takes up at the cursor: yesterday's late events are counted.
    assert rollups.rollup_run(today=D2 + timedelta(days=1)) == [D1, D2, D2 + timedelta(days=1)]
    assert RollupCursor.objects.get(name=rollups.CURSOR).day == D2
