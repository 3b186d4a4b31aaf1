"""The demand forecast in the low-stock alerts (catalog reads analytics' forecast through the
function named by CATALOG_DEMAND_PER_WEEK): weeks of cover in the notices and on the dashboard,
and a notice, once per drop, when a product above its alert levels has under two weeks left."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import override_settings

from analytics import forecast
from catalog import selectors
from catalog.models import Variant
from catalog.services.stock import stock_adjust
from notifications.kinds import KINDS
from notifications.models import Notification
from notifications.tasks import low_stock_alert, low_stock_scan
from tests.factories.orders import sellable_variant

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 16)  # a Monday: the four weeks before it are the history


def _sold_weekly(vendor: Any, product_id: int, units: list[int]) -> None:
    """Units sold in each of the last len(units) weeks before TODAY (one day of each week)."""
    from analytics.models import ListingDay

    first = forecast.week_start(TODAY) - timedelta(weeks=len(units))
    for week, count in enumerate(units):
        ListingDay.objects.create(vendor_id=vendor.pk, product_id=product_id, day=first + timedelta(weeks=week),
                                  currency="EUR", title="", units=count, orders=count, revenue=count * 1000)


def _forecast(vendor: Any, *products: int) -> None:
    # By hand, Holt (α 0.5, β 0.3) over 2, 4, 6, 8: level 2 trend 2 → 4/2 → 6/2 → 8/2; next week 10.
    for product_id in products:
        _sold_weekly(vendor, product_id, [2, 4, 6, 8])
    forecast.forecasts_refresh(today=TODAY)


def _notices(owner: Any, name: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=owner, kind="low_stock", context__product_name=name).order_by("pk"))


def test_weeks_of_cover_from_the_forecast(vendor_a, vendor_b, in_schema):
    lamp = sellable_variant(vendor_a, stock=15, name="Trail Lamp")
    other = sellable_variant(vendor_b, stock=15, name="Other Lamp")
    _forecast(vendor_a, lamp.product_id)
    with in_schema(vendor_a):
        Variant.objects.create(product_id=lamp.product_id, sku="LAMP-2", price_amount=1000, currency="EUR", stock=-3,
                               inventory_policy="backorder", backorder_limit=5)
        assert selectors.demand_per_week(vendor_id=vendor_a.pk, product_ids=[lamp.product_id]) == {
            lamp.product_id: 10.0}
        # 15 on hand (the variant owing 3 counts as none) at 10 a week: 1.5 weeks
        assert selectors.weeks_of_cover(vendor_id=vendor_a.pk, product_ids=[lamp.product_id]) == {
            lamp.product_id: 1.5}
        # Another vendor's product of the same id has no forecast of this vendor's.
        assert selectors.weeks_of_cover(vendor_id=vendor_b.pk, product_ids=[other.product_id]) == {}
    with override_settings(CATALOG_DEMAND_PER_WEEK=""), in_schema(vendor_a):
        assert selectors.weeks_of_cover(vendor_id=vendor_a.pk, product_ids=[lamp.product_id]) == {}


def test_the_low_stock_notice_tells_the_weeks_of_cover(vendor_a, owner_a, in_schema):
    mug = sellable_variant(vendor_a, stock=8, name="Mug")
    _forecast(vendor_a, mug.product_id)
    with in_schema(vendor_a):
        stock_adjust(variant=Variant.objects.get(pk=mug.pk), delta=-5, reason="damaged")  # 3: at the alert level
        assert low_stock_alert([mug.pk]) == 1
    (notice,) = _notices(owner_a, "Mug")
    assert notice.context["weeks_of_cover"] == "0.3"  # 3 units at 10 a week
    lines = KINDS["low_stock"].render(notice.context).lines
    assert "About 0.3 weeks of cover at the forecast rate." in lines


def test_under_two_weeks_of_cover_is_told_once_per_drop_even_above_the_alert_level(
        vendor_a, owner_a, vendor_b, owner_b, in_schema):
    lamp = sellable_variant(vendor_a, stock=25, name="Trail Lamp")  # alert level 5
    peg = sellable_variant(vendor_a, stock=500, name="Tent Peg")
    sellable_variant(vendor_b, stock=6, name="Quiet Lamp")
    _forecast(vendor_a, lamp.product_id, peg.product_id)
    low_stock_scan()
    assert _notices(owner_a, "Trail Lamp") == []  # 25 at 10 a week: 2.5 weeks
    with in_schema(vendor_a):
        stock_adjust(variant=Variant.objects.get(pk=lamp.pk), delta=-6, reason="damaged")  # 19: 1.9 weeks
    low_stock_scan()
    low_stock_scan()
    (notice,) = _notices(owner_a, "Trail Lamp")
    assert notice.context == {"product_name": "Trail Lamp", "stock": 19, "weeks_of_cover": "1.9", "low_cover": True}
    rendered = KINDS["low_stock"].render(notice.context)
    assert "Restock soon" in rendered.title and "About 1.9 weeks of cover at the forecast rate." in rendered.lines
    assert _notices(owner_a, "Tent Peg") == []  # 50 weeks of cover
    assert _notices(owner_b, "Quiet Lamp") == [] and not Notification.objects.filter(
        recipient=owner_b, context__product_name="Trail Lamp").exists()  # no forecast for vendor B; not told of A's
    with in_schema(vendor_a):
        stock_adjust(variant=Variant.objects.get(pk=lamp.pk), delta=1, reason="returned")  # not a restock
    low_stock_scan()
    assert len(_notices(owner_a, "Trail Lamp")) == 1
    with in_schema(vendor_a):
        stock_adjust(variant=Variant.objects.get(pk=lamp.pk), delta=10, reason="received")  # 30: 3 weeks
    low_stock_scan()
    with in_schema(vendor_a):
        stock_adjust(variant=Variant.objects.get(pk=lamp.pk), delta=-12, reason="damaged")  # 18: under again
    low_stock_scan()
    assert [n.context["weeks_of_cover"] for n in _notices(owner_a, "Trail Lamp")] == ["1.9", "1.8"]


def test_the_dashboard_low_stock_lists_show_the_weeks_of_cover(client_for, vendor_a, owner_a, vendor_b, owner_b):
    mug = sellable_variant(vendor_a, stock=3, name="Mug")  # at the alert level (5)
    sellable_variant(vendor_a, stock=2, name="Jug")  # no sales: no forecast
    other = sellable_variant(vendor_b, stock=4, name="Bravo Mug")
    _forecast(vendor_a, mug.product_id)
    client = client_for(vendor_a, owner_a)
    for url in ("/dashboard/", "/dashboard/stock/low/"):
        html = client.get(url).content.decode()
        assert html.count("about 0.3 weeks of cover at the forecast rate") == 1, url
        assert "no forecast" in html, url
    # Vendor B's product borrows nothing of vendor A's forecasts, even one kept under B's product id.
    _forecast(vendor_a, other.product_id)
    html = client_for(vendor_b, owner_b).get("/dashboard/stock/low/").content.decode()
    assert "Bravo Mug" in html and "weeks of cover" not in html and "no forecast" in html
