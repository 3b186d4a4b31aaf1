"""Analytics: roll up 10M events (time, peak memory), and what recording costs a page.

Events are generated server-side (INSERT … SELECT generate_series) into the months of a year no
real event has (2001), spread over 28 days, 50 vendors and 10,000 products; each day is rolled up
as the scheduled task does it. Afterwards the two partitions are dropped (how retention removes
events: the table refuses DELETE) and the rollup rows of those days deleted.
"""

from __future__ import annotations

import os
import time
import tracemalloc
from datetime import date, timedelta
from typing import Any

from django.db import connection

from bench.common import BenchResult, peak_rss_mb, summary_ms

FULL_EVENTS = 10_000_000
QUICK_EVENTS = 200_000
FIRST_DAY = date(2001, 2, 1)
DAYS = 28

# 80% views, 10% searches (1 in 5 without results), 5% add to cart, 3% checkout, 2% purchases;
# visitors are 100,000 a day.
_SEED = """
INSERT INTO analytics_event (occurred_at, kind, visitor, vendor_id, product_id, order_id, quantity, amount,
                             commission, currency, term, zero_results)
SELECT %(start)s::timestamptz + ((g %% %(days)s) || ' days')::interval + ((g %% 86400) || ' seconds')::interval,
       k.kind,
       CASE WHEN k.kind = 'purchase' THEN '' ELSE md5((g %% 100000)::text || '-' || (g %% %(days)s)::text)::varchar(32) END,
       CASE WHEN k.kind = 'search' THEN NULL ELSE 1000000 + (g %% 50) END,
       CASE WHEN k.kind = 'search' THEN NULL ELSE (g %% 10000) END,
       CASE WHEN k.kind = 'purchase' THEN g END,
       CASE WHEN k.kind = 'purchase' THEN 1 + g %% 3 ELSE 0 END,
       CASE WHEN k.kind = 'purchase' THEN 500 + (g %% 97) * 100 ELSE 0 END,
       CASE WHEN k.kind = 'purchase' THEN 50 + (g %% 97) * 10 ELSE 0 END,
       CASE WHEN k.kind = 'purchase' THEN 'EUR' ELSE '' END,
       CASE WHEN k.kind = 'search' THEN 'term ' || (g %% 5000) ELSE '' END,
       k.kind = 'search' AND g %% 5 = 0
FROM generate_series(1, %(count)s) g
CROSS JOIN LATERAL (SELECT CASE WHEN g %% 100 < 80 THEN 'view' WHEN g %% 100 < 90 THEN 'search'
                                WHEN g %% 100 < 95 THEN 'cart_add' WHEN g %% 100 < 98 THEN 'checkout'
                                ELSE 'purchase' END AS kind) k
"""


def seed_events(*, count: int, first_day: date = FIRST_DAY, days: int = DAYS) -> None:
    from analytics.partitions import month_add, partition_ensure

    for offset in range(2):
        partition_ensure(month_add(first_day.replace(day=1), offset))
    with connection.cursor() as cursor:
        cursor.execute(_SEED, {"start": first_day.isoformat(), "days": days, "count": count})
        cursor.execute("ANALYZE analytics_event")


def cleanup(*, first_day: date = FIRST_DAY, days: int = DAYS) -> None:
    from analytics.models import BuyerDay, ListingDay, PlatformDay, SearchTermDay, VendorDay
    from analytics.partitions import month_add, partition_name, partitions_existing

    existing = partitions_existing()
    with connection.cursor() as cursor:
        for offset in range(2):
            name = partition_name(month_add(first_day.replace(day=1), offset))
            if name in existing:
                cursor.execute(f"DROP TABLE public.{name}")
    last = first_day + timedelta(days=days)
    for model in (VendorDay, ListingDay, PlatformDay, SearchTermDay, BuyerDay):
        model.objects.filter(day__gte=first_day, day__lt=last).delete()


def rollup_days(*, first_day: date = FIRST_DAY, days: int = DAYS) -> dict[str, Any]:
    """Roll up each day; per-day seconds and the Python side's peak allocation."""
    from analytics.rollups import day_rollup

    tracemalloc.start()
    per_day = []
    started = time.perf_counter()
    for offset in range(days):
        t = time.perf_counter()
        day_rollup(first_day + timedelta(days=offset))
        per_day.append(time.perf_counter() - t)
    total = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"seconds": total, "per_day": per_day, "python_peak_mb": peak / 1024 / 1024}


def _postgres_work_mem() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        return str(cursor.fetchone()[0])


def capture_cost(samples: int) -> dict[str, float]:
    """What a page pays: one `page_events_capture` (a Lua call on Valkey), distinct objects."""
    from analytics.services import BUFFER_KEY, _valkey, page_events_capture

    agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
    times = []
    for n in range(samples):
        t = time.perf_counter()
        page_events_capture(notes=[{"kind": "view", "listing_id": n, "vendor_id": 1, "product_id": n}],
                            ip=f"198.51.{n % 250}.{n % 200}", user_agent=agent)
        times.append(time.perf_counter() - t)
    _valkey().delete(BUFFER_KEY)
    return summary_ms(times)


def run(*, quick: bool = False) -> BenchResult:
    # ANALYTICS_BENCH_EVENTS scales the run down on a busy machine (the size line says so).
    count = QUICK_EVENTS if quick else int(os.environ.get("ANALYTICS_BENCH_EVENTS", FULL_EVENTS))
    size: dict[str, Any] = {"events": count, "days": DAYS, "vendors": 50, "products": 10_000}
    if not quick and count < FULL_EVENTS:
        size["scaled_down_from"] = FULL_EVENTS
    result = BenchResult(benchmark="Analytics rollup of events", command="make bench (python -m bench --only analytics)",
                         size=size)
    cleanup()
    try:
        t = time.perf_counter()
        seed_events(count=count)
        seeded = time.perf_counter() - t
        rolled = rollup_days()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), sum(views) FROM analytics_vendorday WHERE day >= %s AND day < %s",
                           [FIRST_DAY, FIRST_DAY + timedelta(days=DAYS)])
            vendor_rows, views = cursor.fetchone()
    finally:
        cleanup()
    capture = capture_cost(200 if quick else 2000)
    result.add("rollup of all days", round(rolled["seconds"], 1), "s", note=f"{count:,} events over {DAYS} days")
    result.add("rollup per day (p50)", round(sorted(rolled["per_day"])[len(rolled["per_day"]) // 2], 2), "s")
    result.add("events rolled up per second", round(count / rolled["seconds"]), "events/s")
    result.add("peak memory of the rolling process", peak_rss_mb(), "MB",
               note=f"Python allocations peak {rolled['python_peak_mb']:.1f} MB: the aggregation runs in "
                    f"PostgreSQL (work_mem {_postgres_work_mem()})")
    result.add("seeding the events", round(seeded, 1), "s", note="INSERT … SELECT generate_series, not part of the rollup")
    result.add("page event capture p50", capture["p50_ms"], "ms", note="one Valkey round trip after the response")
    result.add("page event capture p95", capture["p95_ms"], "ms")
    result.details["vendor_day_rows"] = int(vendor_rows or 0)
    result.details["views_rolled_up"] = int(views or 0)
    return result
