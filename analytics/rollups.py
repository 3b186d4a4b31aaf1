"""Daily rollups: one day recomputed from the events (and the paid orders, for buyers) in one
transaction, its old rows replaced; running a day again gives the same rows (idempotent), and the
scheduled run starts from the last finished day (incremental). docs/analytics.md defines each number.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction

from analytics.models import (
    BuyerDay,
    ListingDay,
    PlatformDay,
    RollupCursor,
    SearchTermDay,
    VendorDay,
)

CURSOR = "daily"
GENERATION = "generation"
_TABLES = (VendorDay, ListingDay, PlatformDay, SearchTermDay, BuyerDay)

_VENDOR_TRAFFIC = """
INSERT INTO analytics_vendorday (vendor_id, day, currency, views, visits, cart_adds, checkouts, claims, returns,
                                 orders, units, revenue, commission, refunded)
SELECT vendor_id, %(day)s, '', count(*) FILTER (WHERE kind = 'view'),
       count(DISTINCT visitor) FILTER (WHERE kind = 'view'), count(*) FILTER (WHERE kind = 'cart_add'),
       count(DISTINCT visitor) FILTER (WHERE kind = 'checkout'), 0, 0, 0, 0, 0, 0, 0
FROM analytics_event WHERE occurred_at >= %(start)s AND occurred_at < %(end)s AND vendor_id IS NOT NULL AND kind IN ('view', 'cart_add', 'checkout')
GROUP BY vendor_id
"""

_VENDOR_CLAIMS = """
INSERT INTO analytics_vendorday (vendor_id, day, currency, views, visits, cart_adds, checkouts, claims, returns,
                                 orders, units, revenue, commission, refunded)
SELECT vendor_id, %(day)s, '', 0, 0, 0, 0, count(*) FILTER (WHERE reason <> 'return'),
       count(*) FILTER (WHERE reason = 'return'), 0, 0, 0, 0, 0
FROM disputes_claim WHERE created_at >= %(start)s AND created_at < %(end)s
GROUP BY vendor_id
ON CONFLICT (vendor_id, day, currency) DO UPDATE SET claims = EXCLUDED.claims, returns = EXCLUDED.returns
"""

_VENDOR_SALES = """
INSERT INTO analytics_vendorday (vendor_id, day, currency, views, visits, cart_adds, checkouts, claims, returns,
                                 orders, units, revenue, commission, refunded)
SELECT vendor_id, %(day)s, currency, 0, 0, 0, 0, 0, 0,
       count(DISTINCT order_id) FILTER (WHERE kind = 'purchase'),
       coalesce(sum(quantity) FILTER (WHERE kind = 'purchase'), 0),
       coalesce(sum(amount) FILTER (WHERE kind = 'purchase'), 0),
       coalesce(sum(commission) FILTER (WHERE kind = 'purchase'), 0),
       coalesce(sum(amount) FILTER (WHERE kind = 'refund'), 0)
FROM analytics_event WHERE occurred_at >= %(start)s AND occurred_at < %(end)s AND vendor_id IS NOT NULL AND kind IN ('purchase', 'refund')
GROUP BY vendor_id, currency
"""

_LISTING = """
INSERT INTO analytics_listingday (vendor_id, product_id, day, currency, category_id, title, views, cart_adds,
                                  orders, units, revenue)
SELECT e.vendor_id, e.product_id, %(day)s, e.currency, l.category_id, coalesce(l.title, ''),
       e.views, e.cart_adds, e.orders, e.units, e.revenue
FROM (
    SELECT vendor_id, product_id, CASE WHEN kind = 'purchase' THEN currency ELSE '' END AS currency,
           count(*) FILTER (WHERE kind = 'view') AS views, count(*) FILTER (WHERE kind = 'cart_add') AS cart_adds,
           count(DISTINCT order_id) FILTER (WHERE kind = 'purchase') AS orders,
           coalesce(sum(quantity) FILTER (WHERE kind = 'purchase'), 0) AS units,
           coalesce(sum(amount) FILTER (WHERE kind = 'purchase'), 0) AS revenue
    FROM analytics_event WHERE occurred_at >= %(start)s AND occurred_at < %(end)s AND vendor_id IS NOT NULL AND product_id IS NOT NULL AND kind IN ('view', 'cart_add', 'purchase')
    GROUP BY 1, 2, 3
) e LEFT JOIN marketplace_listing l ON l.vendor_id = e.vendor_id AND l.product_id = e.product_id
"""

_PLATFORM_TRAFFIC = """
INSERT INTO analytics_platformday (day, currency, visits, view_visits, cart_visits, checkout_visits, searches,
                                   zero_result_searches, orders, gmv, commission, refunded)
SELECT %(day)s, '', count(DISTINCT visitor) FILTER (WHERE visitor <> ''),
       count(DISTINCT visitor) FILTER (WHERE kind = 'view'), count(DISTINCT visitor) FILTER (WHERE kind = 'cart_add'),
       count(DISTINCT visitor) FILTER (WHERE kind = 'checkout'), count(*) FILTER (WHERE kind = 'search'),
       count(*) FILTER (WHERE kind = 'search' AND zero_results), 0, 0, 0, 0
FROM analytics_event WHERE occurred_at >= %(start)s AND occurred_at < %(end)s AND kind IN ('view', 'search', 'cart_add', 'checkout')
HAVING count(*) > 0
"""

_PLATFORM_SALES = """
INSERT INTO analytics_platformday (day, currency, visits, view_visits, cart_visits, checkout_visits, searches,
                                   zero_result_searches, orders, gmv, commission, refunded)
SELECT %(day)s, currency, 0, 0, 0, 0, 0, 0, count(DISTINCT order_id) FILTER (WHERE kind = 'purchase'),
       coalesce(sum(amount) FILTER (WHERE kind = 'purchase'), 0),
       coalesce(sum(commission) FILTER (WHERE kind = 'purchase'), 0),
       coalesce(sum(amount) FILTER (WHERE kind = 'refund'), 0)
FROM analytics_event WHERE occurred_at >= %(start)s AND occurred_at < %(end)s AND kind IN ('purchase', 'refund')
GROUP BY currency
"""

_SEARCH_TERMS = """
INSERT INTO analytics_searchtermday (day, term, searches, zero_results)
SELECT %(day)s, term, count(*), count(*) FILTER (WHERE zero_results)
FROM analytics_event WHERE occurred_at >= %(start)s AND occurred_at < %(end)s AND kind = 'search' AND term <> ''
GROUP BY term
"""

# Buyers come from the paid orders (the events carry no one's identity): per vendor, and for the
# whole marketplace under vendor 0, an order counted once however many vendors it has.
_BUYERS = """
INSERT INTO analytics_buyerday (vendor_id, buyer_id, day, currency, orders, revenue)
SELECT coalesce(l.vendor_id, 0), o.buyer_id, %(day)s, o.currency, count(DISTINCT o.id), sum(l.line_amount)
FROM orders_order o JOIN orders_orderline l ON l.order_id = o.id
WHERE o.paid_at >= %(start)s AND o.paid_at < %(end)s
GROUP BY GROUPING SETS ((l.vendor_id, o.buyer_id, o.currency), (o.buyer_id, o.currency))
"""


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


@transaction.atomic
def day_rollup(day: date) -> None:
    """Replace every rollup row of `day` with rows computed afresh (UTC days)."""
    start, end = day_bounds(day)
    params = {"day": day, "start": start, "end": end}
    for model in _TABLES:
        model.objects.filter(day=day).delete()
    with connection.cursor() as cursor:
        for statement in (_VENDOR_TRAFFIC, _VENDOR_CLAIMS, _VENDOR_SALES, _LISTING, _PLATFORM_TRAFFIC,
                          _PLATFORM_SALES, _SEARCH_TERMS, _BUYERS):
            cursor.execute(statement, params)
        cursor.execute("INSERT INTO analytics_rollupcursor (name, day, runs) VALUES (%s, %s, 1) "
                       "ON CONFLICT (name) DO UPDATE SET runs = analytics_rollupcursor.runs + 1, day = EXCLUDED.day",
                       [GENERATION, day])


def generation() -> int:
    """Changes whenever a day is rolled up again: cached reports older than it are not used."""
    return int(RollupCursor.objects.filter(name=GENERATION).values_list("runs", flat=True).first() or 0)


def rollup_run(*, today: date, first_day: date | None = None) -> list[date]:
    """Roll up every day from the last finished one (kept: events of late flushes land in it)
    through today; the first run starts at `first_day`, or yesterday."""
    cursor = RollupCursor.objects.filter(name=CURSOR).first()
    start = first_day or (cursor.day if cursor else today - timedelta(days=1))
    days = [start + timedelta(days=n) for n in range((today - start).days + 1)]
    for day in days:
        day_rollup(day)
    if days:
        # The cursor stays on yesterday at most: today is rolled again, complete, tomorrow.
        RollupCursor.objects.update_or_create(name=CURSOR, defaults={"day": min(today - timedelta(days=1),
                                                                                days[-1])})
    return days
