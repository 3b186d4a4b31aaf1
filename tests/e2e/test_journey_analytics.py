"""Journey: analytics. A vendor reads its analytics (charts with their tables, a product's page
with its forecast, a reversed range refused) and finance reads the marketplace's (GMV, funnel,
leaderboards, searches without results, cohorts); axe audits each page.

Two weeks of events are written to the event table as the flush would, and rolled up by the
rollup task's own code; the pages read only the rollups."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from tests.e2e.journeys import assert_accessible, login, publish_listing
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _history(vendor_a, vendor_b, listings) -> None:
    from django.db import connection

    from analytics.forecast import forecasts_refresh
    from analytics.models import BuyerDay
    from analytics.rollups import day_rollup
    from analytics.services import events_insert

    # The event table is unmanaged (partitioned, raw SQL), so a transactional test's flush leaves
    # the purchases of earlier journeys in it; the rollups below would count their vendors too.
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE analytics_event")
    today = timezone.now().date()
    rows, order = [], 10_000
    for back in range(14, -1, -1):
        day = today - timedelta(days=back)
        moment = datetime.combine(day, time(9), tzinfo=UTC)
        for n, (vendor, listing, price) in enumerate(listings):
            visits = 6 + (14 - back) % 5 + n * 2
            rows += [{"occurred_at": moment, "kind": "view", "visitor": f"{back:02d}{n:02d}{v:028d}",
                      "vendor_id": vendor.pk, "listing_id": listing.pk, "product_id": listing.product_id}
                     for v in range(visits)]
            for _ in range(1 + (back + n) % 3):
                order += 1
                rows.append({"occurred_at": moment, "kind": "purchase", "vendor_id": vendor.pk,
                             "product_id": listing.product_id, "order_id": order, "quantity": 1, "amount": price,
                             "commission": price // 10, "currency": "EUR"})
        rows += [{"occurred_at": moment, "kind": "cart_add", "visitor": f"{back:02d}00{0:028d}", "vendor_id": vendor_a.pk,
                  "product_id": listings[0][1].product_id},
                 {"occurred_at": moment, "kind": "checkout", "visitor": f"{back:02d}00{0:028d}", "vendor_id": vendor_a.pk},
                 {"occurred_at": moment, "kind": "search", "visitor": f"{back:02d}00{1:028d}", "term": "snowshoes",
                  "zero_results": True},
                 {"occurred_at": moment, "kind": "search", "visitor": f"{back:02d}00{2:028d}", "term": "kettle"}]
    events_insert(rows)
    first = (today.replace(day=1) - timedelta(days=62)).replace(day=1)
    for buyer in range(1, 9):
        for month in range(3 if buyer % 2 else 1):
            day = (first + timedelta(days=32 * (month + buyer % 3))).replace(day=5)
            BuyerDay.objects.create(vendor_id=0, buyer_id=900_000 + buyer, day=day, currency="EUR", orders=1,
                                    revenue=4_500 + 500 * buyer)
    for back in range(14, -1, -1):
        day_rollup(today - timedelta(days=back))
    forecasts_refresh(today=today)


def test_vendor_and_finance_read_their_analytics(page, site, shot, live_server, _journey_media, vendor_a, vendor_b,
                                                 owner_a, finance_user):
    lamp = publish_listing(vendor_a, sellable_variant(vendor_a, price=3_900, stock=3, name="Trail Lamp"))
    stove = publish_listing(vendor_a, sellable_variant(vendor_a, price=8_900, stock=40, name="Camp Stove"))
    tray = publish_listing(vendor_b, sellable_variant(vendor_b, price=2_150, stock=9, name="Oak Tray"))
    _history(vendor_a, vendor_b, [(vendor_a, lamp, 3_900), (vendor_a, stove, 8_900), (vendor_b, tray, 2_150)])

    # --- The vendor: figures, two charts with their tables, restock hints; nothing of vendor B. ---
    login(page, site.vendor(vendor_a), owner_a.email, PASSWORD)
    page.goto(f"{site.vendor(vendor_a)}/dashboard/analytics/")
    assert page.locator("svg.chart").count() == 2
    assert page.locator('[data-table="top-products"] tbody tr').count() == 2
    assert "Oak Tray" not in page.content()
    assert page.locator('[data-table="restock"]').get_by_text("Trail Lamp").count() == 1
    assert_accessible(page)
    shot(page, "an-01-vendor-analytics")
    page.locator("#chart-top").scroll_into_view_if_needed()
    shot(page, "an-02-vendor-top-products")

    # A reversed range is refused with the reason next to the field.
    page.fill("#id_start", (timezone.now().date()).isoformat())
    page.fill("#id_end", (timezone.now().date() - timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Show").click()
    page.wait_for_selector(".invalid-feedback")
    assert "before its start" in page.locator(".invalid-feedback").inner_text()
    assert_accessible(page)
    shot(page, "an-03-vendor-range-refused")

    # A product's page: its chart and the forecast.
    page.goto(f"{site.vendor(vendor_a)}/dashboard/analytics/")
    page.locator('[data-table="top-products"]').get_by_role("link", name="Camp Stove").click()
    page.wait_for_selector("#chart-product")
    assert page.locator("[data-forecast]").count() == 1
    assert_accessible(page)
    shot(page, "an-04-vendor-product")

    # --- Finance: the marketplace's figures, funnel, leaderboards, empty searches and cohorts. ---
    login(page, site.platform, finance_user.email, PASSWORD)
    page.goto(f"{site.platform}/ops/analytics/")
    # Four charts since an2 charted orders apart from GMV (one y scale per chart).
    assert page.locator("svg.chart").count() == 4
    assert page.locator('[data-table="vendors"] tbody tr').count() == 2
    assert page.locator('[data-table="zero-terms"]').get_by_text("snowshoes").count() == 1
    assert page.locator('[data-table="cohorts"] tbody tr').count() >= 2
    assert_accessible(page)
    shot(page, "an-05-ops-analytics")
    page.locator("#cohort-heading").scroll_into_view_if_needed()
    shot(page, "an-06-ops-cohorts")
