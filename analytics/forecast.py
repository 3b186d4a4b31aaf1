"""Weekly demand per product by exponential smoothing (docs/adr/0084), and the "restock soon" hints.

`ses` and `holt` are pure functions over a list of weekly unit counts, tested against values
worked by hand; `forecasts_refresh` stores each product's next-week forecast (ProductForecast) from
the daily rollups, which the vendor page and, later, catalog's low-stock alerts read through
`demand_per_week` (a plain function of ids: nothing of analytics' models leaks out).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Sum

ALPHA = 0.5  # level smoothing: half the weight on the latest week
BETA = 0.3  # trend smoothing
HOLT_MIN_WEEKS = 4  # fewer weeks of history: no trend can be told from noise, simple smoothing
HISTORY_WEEKS = 12


def ses(series: Sequence[float], alpha: float = ALPHA) -> float:
    """Simple exponential smoothing: level = α·x + (1-α)·level, starting at the first value;
    the forecast of the next period is the last level."""
    if not series:
        return 0.0
    level = float(series[0])
    for value in series[1:]:
        level = alpha * value + (1 - alpha) * level
    return level


def holt(series: Sequence[float], alpha: float = ALPHA, beta: float = BETA) -> float:
    """Holt's linear method: level and trend smoothed, started at the first value and the first
    difference; the forecast of the next period is level + trend, never below zero."""
    if len(series) < 2:
        return ses(series, alpha)
    level, trend = float(series[0]), float(series[1] - series[0])
    for value in series[1:]:
        previous = level
        level = alpha * value + (1 - alpha) * (level + trend)
        trend = beta * (level - previous) + (1 - beta) * trend
    return max(0.0, level + trend)


@dataclass(frozen=True)
class Forecast:
    units_per_week: float
    method: str
    weeks_of_history: int


def weekly_forecast(series: Sequence[float]) -> Forecast:
    """Holt with enough history, simple smoothing otherwise."""
    if len(series) >= HOLT_MIN_WEEKS:
        return Forecast(holt(series), "holt", len(series))
    return Forecast(ses(series), "ses", len(series))


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_units(rows: Iterable[tuple[date, int]], *, until: date, weeks: int = HISTORY_WEEKS) -> list[int]:
    """Units per full week (Monday to Sunday) of the `weeks` weeks before the week of `until`,
    from the first week with a sale on (a product new this month has a short history)."""
    end = week_start(until)
    start = end - timedelta(weeks=weeks)
    buckets = [0] * weeks
    for day, units in rows:
        if start <= day < end:
            buckets[(day - start).days // 7] += units
    first = next((i for i, units in enumerate(buckets) if units), None)
    return [] if first is None else buckets[first:]


@transaction.atomic
def forecasts_refresh(*, today: date) -> int:
    """Every product sold in the history window gets its forecast and current stock (listing)."""
    from analytics.models import ListingDay, ProductForecast
    from marketplace.models import Listing

    end = week_start(today)
    start = end - timedelta(weeks=HISTORY_WEEKS)
    sales: dict[tuple[int, int], list[tuple[date, int]]] = defaultdict(list)
    for row in (ListingDay.objects.filter(day__gte=start, day__lt=end).exclude(currency="")
                .values("vendor_id", "product_id", "day").annotate(units_sum=Sum("units"))):
        sales[(row["vendor_id"], row["product_id"])].append((row["day"], row["units_sum"]))
    stock = {(v, p): s for v, p, s in Listing.objects.values_list("vendor_id", "product_id", "stock_total")}
    ProductForecast.objects.all().delete()  # products no longer sold lose their forecast
    forecasts = []
    for (vendor_id, product_id), rows in sales.items():
        forecast = weekly_forecast(weekly_units(rows, until=today))
        forecasts.append(ProductForecast(
            vendor_id=vendor_id, product_id=product_id, week_start=end,
            units_per_week=round(forecast.units_per_week, 3), method=forecast.method,
            weeks_of_history=forecast.weeks_of_history, stock=stock.get((vendor_id, product_id), 0)))
    ProductForecast.objects.bulk_create(forecasts)
    return len(sales)


def demand_per_week(*, vendor_id: int, product_ids: Iterable[int]) -> dict[int, float]:
    """The forecast units per week of these products of one vendor (absent: no sales history).
    For catalog's low-stock alerts: `stock / demand` is the weeks of cover."""
    from analytics.models import ProductForecast

    return dict(ProductForecast.objects.filter(vendor_id=vendor_id, product_id__in=list(product_ids))
                .values_list("product_id", "units_per_week"))
