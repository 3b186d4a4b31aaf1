"""What the analytics pages show, read from the daily rollups only (docs/analytics.md defines
each number). Rates are fractions (None when their base is zero); money is minor units."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Max, Q, Sum

from analytics.models import (
    BuyerDay,
    ListingDay,
    PlatformDay,
    ProductForecast,
    SearchTermDay,
    VendorDay,
)

RESTOCK_WEEKS = 2.0  # fewer weeks of cover than this: "restock soon"


def ratio(part: int | float, whole: int | float) -> float | None:
    return None if not whole else part / whole


def average(amount: int, count: int) -> int | None:
    """Money divided by a count, rounded half up to the minor unit."""
    return None if not count else (2 * amount + count) // (2 * count)


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _sum(queryset: Any, *names: str) -> dict[str, int]:
    totals = queryset.aggregate(**{name: Sum(name) for name in names})
    return {name: int(totals[name] or 0) for name in names}


# --- a vendor's page --------------------------------------------------------------------------
@dataclass
class VendorReport:
    currency: str
    views: int = 0
    visits: int = 0
    cart_adds: int = 0
    checkouts: int = 0
    orders: int = 0
    units: int = 0
    revenue: int = 0
    refunded: int = 0
    claims: int = 0
    returns: int = 0
    buyers: int = 0
    repeat_buyers: int = 0
    daily: list[dict[str, Any]] = field(default_factory=list)
    top_products: list[dict[str, Any]] = field(default_factory=list)
    restock: list[dict[str, Any]] = field(default_factory=list)

    @property
    def conversion(self) -> float | None:
        return ratio(self.orders, self.visits)

    @property
    def aov(self) -> int | None:
        return average(self.revenue, self.orders)

    @property
    def return_rate(self) -> float | None:
        return ratio(self.returns, self.orders)

    @property
    def claim_rate(self) -> float | None:
        return ratio(self.claims, self.orders)

    @property
    def repeat_rate(self) -> float | None:
        return ratio(self.repeat_buyers, self.buyers)


def vendor_report(*, vendor_id: int, currency: str, start: date, end: date, top: int = 10) -> VendorReport:
    rows = VendorDay.objects.filter(vendor_id=vendor_id, day__gte=start, day__lte=end)
    report = VendorReport(currency=currency)
    traffic = _sum(rows.filter(currency=""), "views", "visits", "cart_adds", "checkouts", "claims", "returns")
    sales = _sum(rows.filter(currency=currency), "orders", "units", "revenue", "refunded")
    for name, value in {**traffic, **sales}.items():
        setattr(report, name, value)
    report.buyers, report.repeat_buyers = _buyers(vendor_id=vendor_id, currency=currency, start=start, end=end)
    by_day: dict[date, dict[str, int]] = defaultdict(lambda: {"visits": 0, "orders": 0, "revenue": 0})
    values: list[dict[str, Any]] = [dict(row) for row in rows.filter(Q(currency="") | Q(currency=currency))
                                    .values("day", "visits", "orders", "revenue")]
    for row in values:
        for name in ("visits", "orders", "revenue"):
            by_day[row["day"]][name] += row[name]
    report.daily = [{"day": day, **by_day[day]} for day in days_between(start, end)]
    report.top_products = top_products(vendor_id=vendor_id, currency=currency, start=start, end=end, top=top)
    report.restock = restock_hints(vendor_id=vendor_id)
    return report


def _buyers(*, vendor_id: int, currency: str, start: date, end: date) -> tuple[int, int]:
    """Buyers who paid in the range, and those of them with at least two orders from this vendor
    up to the range's end (an earlier order, or two in the range)."""
    in_range = BuyerDay.objects.filter(vendor_id=vendor_id, currency=currency, day__gte=start, day__lte=end)
    buyer_ids = in_range.values("buyer_id").distinct()
    repeat = (BuyerDay.objects.filter(vendor_id=vendor_id, currency=currency, day__lte=end, buyer_id__in=buyer_ids)
              .values("buyer_id").annotate(total=Sum("orders")).filter(total__gte=2).count())
    return buyer_ids.count(), repeat


def top_products(*, vendor_id: int, currency: str, start: date, end: date, top: int = 10,
                 product_id: int | None = None) -> list[dict[str, Any]]:
    rows = ListingDay.objects.filter(vendor_id=vendor_id, day__gte=start, day__lte=end)
    if product_id is not None:
        rows = rows.filter(product_id=product_id)
    products: dict[int, dict[str, Any]] = {row["product_id"]: dict(row) for row in (
        rows.filter(currency=currency).values("product_id")
        .annotate(revenue=Sum("revenue"), units=Sum("units"), orders=Sum("orders"), name=Max("title")))}
    views = dict(rows.filter(currency="").values("product_id").annotate(n=Sum("views")).values_list("product_id", "n"))
    listed = sorted(products.values(), key=lambda r: (-r["revenue"], -r["units"], r["product_id"]))[:top]
    for row in listed:
        row["views"] = int(views.get(row["product_id"], 0))
        row["conversion"] = ratio(row["orders"], row["views"])
    return listed


def restock_hints(*, vendor_id: int, weeks: float = RESTOCK_WEEKS) -> list[dict[str, Any]]:
    """Products whose stock covers fewer than `weeks` weeks of forecast demand, fewest first."""
    hints: list[dict[str, Any]] = []
    for forecast in ProductForecast.objects.filter(vendor_id=vendor_id, units_per_week__gt=0):
        cover = forecast.stock / forecast.units_per_week
        if cover < weeks:
            hints.append({"product_id": forecast.product_id, "stock": forecast.stock,
                          "units_per_week": forecast.units_per_week, "weeks_of_cover": cover,
                          "method": forecast.method})
    titles = dict(ListingDay.objects.filter(vendor_id=vendor_id, product_id__in=[h["product_id"] for h in hints])
                  .values("product_id").annotate(t=Max("title")).values_list("product_id", "t"))
    for hint in hints:
        hint["name"] = titles.get(hint["product_id"]) or f"#{hint['product_id']}"
    return sorted(hints, key=lambda h: (h["weeks_of_cover"], h["product_id"]))


def product_forecast(*, vendor_id: int, product_id: int) -> ProductForecast | None:
    return ProductForecast.objects.filter(vendor_id=vendor_id, product_id=product_id).first()


def product_daily(*, vendor_id: int, product_id: int, currency: str, start: date, end: date) -> list[dict[str, Any]]:
    by_day: dict[date, dict[str, int]] = defaultdict(lambda: {"views": 0, "orders": 0, "units": 0, "revenue": 0})
    for row in (ListingDay.objects.filter(vendor_id=vendor_id, product_id=product_id, day__gte=start, day__lte=end)
                .filter(Q(currency="") | Q(currency=currency)).values("day", "views", "orders", "units", "revenue")):
        for name in ("views", "orders", "units", "revenue"):
            by_day[row["day"]][name] += row[name]
    return [{"day": day, **by_day[day]} for day in days_between(start, end)]


# --- the operator's page ----------------------------------------------------------------------
def platform_currencies() -> list[str]:
    """Currencies sold in, most revenue first."""
    return list(PlatformDay.objects.exclude(currency="").values("currency").annotate(g=Sum("gmv"))
                .order_by("-g", "currency").values_list("currency", flat=True))


@dataclass
class PlatformReport:
    currency: str
    gmv: int = 0
    commission: int = 0
    refunded: int = 0
    orders: int = 0
    new_buyers: int = 0
    returning_buyers: int = 0
    funnel: list[dict[str, Any]] = field(default_factory=list)
    daily: list[dict[str, Any]] = field(default_factory=list)
    vendors: list[dict[str, Any]] = field(default_factory=list)
    categories: list[dict[str, Any]] = field(default_factory=list)
    zero_terms: list[dict[str, Any]] = field(default_factory=list)
    cohorts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def take_rate(self) -> float | None:
        return ratio(self.commission, self.gmv)

    @property
    def aov(self) -> int | None:
        return average(self.gmv, self.orders)

    @property
    def net_revenue(self) -> int:
        return self.commission


def platform_report(*, currency: str, start: date, end: date, top: int = 10) -> PlatformReport:
    from marketplace.models import Category
    from vendors.models import Vendor

    rows = PlatformDay.objects.filter(day__gte=start, day__lte=end)
    report = PlatformReport(currency=currency)
    for name, value in _sum(rows.filter(currency=currency), "gmv", "commission", "refunded", "orders").items():
        setattr(report, name, value)
    report.new_buyers, report.returning_buyers = new_and_returning(start=start, end=end)
    traffic = _sum(rows.filter(currency=""), "view_visits", "cart_visits", "checkout_visits", "searches")
    all_orders = _sum(rows.exclude(currency=""), "orders")["orders"]
    steps = [("Viewed a product", traffic["view_visits"]), ("Added to cart", traffic["cart_visits"]),
             ("Started checkout", traffic["checkout_visits"]), ("Ordered", all_orders)]
    report.funnel = [{"step": step, "count": count, "of_first": ratio(count, steps[0][1])} for step, count in steps]
    by_day: dict[date, dict[str, Any]] = {r["day"]: dict(r) for r in rows.filter(currency=currency)
                                          .values("day", "gmv", "orders")}
    report.daily = [{"day": day, "gmv": by_day.get(day, {}).get("gmv", 0), "orders": by_day.get(day, {}).get("orders", 0)}
                    for day in days_between(start, end)]
    vendors = list(VendorDay.objects.filter(day__gte=start, day__lte=end, currency=currency).values("vendor_id")
                   .annotate(revenue=Sum("revenue"), orders=Sum("orders")).order_by("-revenue", "vendor_id")[:top])
    names = dict(Vendor.objects.filter(pk__in=[v["vendor_id"] for v in vendors]).values_list("pk", "name"))
    report.vendors = [{**v, "name": names.get(v["vendor_id"], f"#{v['vendor_id']}")} for v in vendors]
    categories = list(ListingDay.objects.filter(day__gte=start, day__lte=end, currency=currency)
                      .values("category_id").annotate(revenue=Sum("revenue"), units=Sum("units"))
                      .order_by("-revenue", "category_id")[:top])
    cat_names = dict(Category.objects.filter(pk__in=[c["category_id"] for c in categories if c["category_id"]])
                     .values_list("pk", "name"))
    report.categories = [{**c, "name": cat_names.get(c["category_id"] or 0, "Uncategorised")} for c in categories]
    report.zero_terms = [dict(row) for row in SearchTermDay.objects.filter(day__gte=start, day__lte=end, zero_results__gt=0)
                             .values("term").annotate(count=Sum("zero_results"), searches=Sum("searches"))
                             .order_by("-count", "term")[:20]]
    report.cohorts = cohorts(currency=currency, until=end)
    return report


def new_and_returning(*, start: date, end: date) -> tuple[int, int]:
    """Buyers who paid in the range (any currency): new ones paid for the first time in it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE f.first_day >= %(start)s), count(*) FILTER (WHERE f.first_day < %(start)s) "
            "FROM (SELECT DISTINCT buyer_id FROM analytics_buyerday WHERE vendor_id = 0 "
            "      AND day >= %(start)s AND day <= %(end)s) b "
            "JOIN (SELECT buyer_id, min(day) AS first_day FROM analytics_buyerday WHERE vendor_id = 0 "
            "      GROUP BY buyer_id) f USING (buyer_id)", {"start": start, "end": end})
        new, returning = cursor.fetchone()
    return int(new), int(returning)


_COHORTS = """
WITH b AS (
    SELECT buyer_id, date_trunc('month', day)::date AS month, sum(revenue) AS revenue
    FROM analytics_buyerday WHERE vendor_id = 0 AND currency = %(currency)s AND day <= %(until)s
    GROUP BY 1, 2
), f AS (SELECT buyer_id, min(month) AS cohort FROM b GROUP BY 1)
SELECT f.cohort,
       ((extract(year FROM b.month) - extract(year FROM f.cohort)) * 12
        + extract(month FROM b.month) - extract(month FROM f.cohort))::int AS age,
       count(*), sum(b.revenue)
FROM b JOIN f USING (buyer_id)
WHERE f.cohort >= %(since)s
GROUP BY 1, 2 ORDER BY 1, 2
"""


def cohorts(*, currency: str, until: date, months: int = 12) -> list[dict[str, Any]]:
    """Buyers grouped by the month of their first order in `currency`: for each month since,
    the share still buying (retention) and the revenue per buyer so far (lifetime value)."""
    since = (until.replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    table: dict[date, dict[int, tuple[int, int]]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(_COHORTS, {"currency": currency, "until": until, "since": since})
        for cohort, age, buyers, revenue in cursor.fetchall():
            table[cohort][age] = (int(buyers), int(revenue))
    result = []
    for cohort, ages in sorted(table.items()):
        size = ages.get(0, (0, 0))[0]
        span = max(ages) + 1
        cumulative, cells = 0, []
        for age in range(span):
            buyers, revenue = ages.get(age, (0, 0))
            cumulative += revenue
            cells.append({"age": age, "buyers": buyers, "retention": ratio(buyers, size),
                          "ltv": average(cumulative, size)})
        result.append({"cohort": cohort, "size": size, "cells": cells})
    return result
