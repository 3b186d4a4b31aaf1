"""Buyers (repeat, new and returning, monthly cohorts with retention and lifetime value), claim
and return rates from real orders and claims, and the demand forecast, against hand-worked values.

Orders (one unit at 1000 each, vendor A): buyer X in January and February, Y in January, Z in February.
  January cohort: X, Y (2 buyers). Month 0: both bought, 2000 → retention 100%, LTV 1000.
  Month 1: X bought, 1000 → retention 50%, LTV (2000 + 1000) / 2 = 1500.
  February cohort: Z. Month 0: retention 100%, LTV 1000.
  February: X returning, Z new; vendor A's repeat buyers in February: X (2 orders) of 2.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from analytics import forecast, rollups, selectors
from orders.models import Order, OrderLine
from tests.factories import OrderFactory, UserFactory
from tests.factories.orders import sellable_variant

pytestmark = pytest.mark.django_db
JAN, FEB1, FEB2 = date(2026, 1, 15), date(2026, 2, 10), date(2026, 2, 12)


def _paid_on(order: Order, day: date) -> None:
    Order.objects.filter(pk=order.pk).update(paid_at=datetime.combine(day, time(9), tzinfo=UTC))


def test_cohort_retention_ltv_new_returning_and_repeat_buyers(vendor_a):
    variant = sellable_variant(vendor_a, price=1000, stock=50)
    x, y, z = UserFactory(), UserFactory(), UserFactory()
    for buyer, day in ((x, JAN), (y, JAN), (x, FEB1), (z, FEB2)):
        order = OrderFactory(buyer=buyer, items=[(vendor_a, variant, 1)])
        assert OrderLine.objects.get(order=order).line_amount == 1000
        _paid_on(order, day)
    for day in (JAN, FEB1, FEB2):
        rollups.day_rollup(day)

    cohorts = selectors.cohorts(currency="EUR", until=date(2026, 2, 28))
    assert [(c["cohort"], c["size"], [(cell["retention"], cell["ltv"]) for cell in c["cells"]]) for c in cohorts] == [
        (date(2026, 1, 1), 2, [(1.0, 1000), (0.5, 1500)]),
        (date(2026, 2, 1), 1, [(1.0, 1000)]),
    ]
    assert selectors.new_and_returning(start=date(2026, 2, 1), end=date(2026, 2, 28)) == (1, 1)
    report = selectors.vendor_report(vendor_id=vendor_a.pk, currency="EUR", start=date(2026, 2, 1), end=date(2026, 2, 28))
    assert (report.buyers, report.repeat_buyers, report.repeat_rate) == (2, 1, 0.5)


def test_claim_and_return_rates_come_from_the_claims_opened(vendor_a, today):
    from disputes.models import Claim
    from tests.factories import ClaimFactory

    variant = sellable_variant(vendor_a, price=1000, stock=50)
    orders = [OrderFactory(items=[(vendor_a, variant, 1)], status=Order.Status.FULFILLED) for _ in range(4)]
    ClaimFactory(sub_order=orders[0].sub_orders.get(), reason=Claim.Reason.DAMAGED)
    ClaimFactory(sub_order=orders[1].sub_orders.get(), reason=Claim.Reason.RETURN)
    ClaimFactory(sub_order=orders[2].sub_orders.get(), reason=Claim.Reason.RETURN)
    from analytics.services import events_insert

    events_insert([{"occurred_at": datetime.combine(today, time(8), tzinfo=UTC), "kind": "purchase",
                    "vendor_id": vendor_a.pk, "product_id": variant.product_id, "order_id": o.pk, "quantity": 1,
                    "amount": 1000, "currency": "EUR"} for o in orders])
    rollups.day_rollup(today)
    report = selectors.vendor_report(vendor_id=vendor_a.pk, currency="EUR", start=today, end=today)
    assert (report.orders, report.claims, report.returns) == (4, 1, 2)
    assert (report.claim_rate, report.return_rate) == (0.25, 0.5)


def test_simple_exponential_smoothing_by_hand():
    # level: 10 → 0.5·20 + 0.5·10 = 15 → 0.5·10 + 0.5·15 = 12.5
    assert forecast.ses([10, 20, 10]) == 12.5
    assert forecast.ses([]) == 0.0


def test_holt_by_hand():
    # start: level 10, trend 2 (12 - 10). x=12: level 0.5·12 + 0.5·12 = 12, trend 0.3·2 + 0.7·2 = 2.
    # x=14: level 0.5·14 + 0.5·14 = 14, trend 2. x=16: level 16, trend 2. Next week: 18.
    assert forecast.holt([10, 12, 14, 16]) == pytest.approx(18.0)
    # A falling series is never forecast below zero.
    assert forecast.holt([9, 6, 3, 0]) == 0.0


def test_weekly_buckets_and_method_choice():
    monday = date(2026, 3, 9)
    rows = [(date(2026, 3, 2), 3), (date(2026, 3, 4), 2), (date(2026, 2, 24), 4), (date(2026, 3, 9), 99)]
    # The week of `until` is not complete: left out. Weeks before the first sale are left out too.
    assert forecast.weekly_units(rows, until=monday, weeks=4) == [4, 5]
    assert forecast.weekly_forecast([4, 5]).method == "ses"
    assert forecast.weekly_forecast([4, 5, 6, 7]).method == "holt"


def test_restock_hint_when_stock_covers_under_two_weeks(vendor_a, relay, in_schema):
    from analytics.models import ListingDay, ProductForecast
    from tests.factories import ProductFactory

    with in_schema(vendor_a):
        low = ProductFactory(name="Trail Lamp", stock=5)
        plenty = ProductFactory(name="Tent Peg", stock=500)
    relay(vendor_a)
    today = date(2026, 3, 16)
    for week in range(4):
        for product in (low, plenty):
            ListingDay.objects.create(vendor_id=vendor_a.pk, product_id=product.pk, day=date(2026, 2, 16 + 7 * week)
                                      if week < 2 else date(2026, 3, 2 + 7 * (week - 2)), currency="EUR",
                                      title=product.name, units=10, orders=10, revenue=10000)
    assert forecast.forecasts_refresh(today=today) == 2
    assert forecast.demand_per_week(vendor_id=vendor_a.pk, product_ids=[low.pk]) == {low.pk: 10.0}
    hints = selectors.restock_hints(vendor_id=vendor_a.pk)
    assert [(h["product_id"], h["stock"], h["weeks_of_cover"]) for h in hints] == [(low.pk, 5, 0.5)]
    assert ProductForecast.objects.get(product_id=plenty.pk).stock == 500
