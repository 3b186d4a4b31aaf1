"""Row-level security (ADR 0047): what binding a vendor host's connection costs per request, and
what the policies cost the vendor's pages and queries, measured with and without the binding."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from django.db import connection

from bench.common import BenchResult, summary_ms
from bench.finance_bench import seed_transfers

TAGS = ("rlsbx", "rlsby")  # neither is a prefix of the other (the seed matches tag-%)


def _cleanup() -> None:
    with connection.cursor() as cursor:
        for tag in TAGS:
            cursor.execute("DELETE FROM payouts_transfer WHERE idempotency_key LIKE %s", [f"{tag}:%"])
            cursor.execute("DELETE FROM orders_suborder WHERE order_id IN "
                           "(SELECT id FROM orders_order WHERE checkout_token LIKE %s)", [f"{tag}-%"])
            cursor.execute("DELETE FROM orders_order WHERE checkout_token LIKE %s", [f"{tag}-%"])


def _interleaved(runs: int, with_rls: Callable[[], float], without: Callable[[], float]) -> tuple[list[float], list[float]]:
    """Alternate the two variants so drift on a shared machine hits both alike; each call returns
    the seconds it measured (its own work, not its set-up)."""
    on: list[float] = []
    off: list[float] = []
    for _ in range(runs):
        on.append(with_rls())
        off.append(without())
    return on, off


def _timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _compare(result: BenchResult, name: str, on: list[float], off: list[float]) -> None:
    with_stats, without_stats = summary_ms(on), summary_ms(off)
    result.add(f"{name} p50 with RLS / without", f"{with_stats['p50_ms']} / {without_stats['p50_ms']}", "ms")
    result.add(f"{name} p95 with RLS / without", f"{with_stats['p95_ms']} / {without_stats['p95_ms']}", "ms")


def _page(client: Any, path: str) -> Callable[[], float]:
    def get() -> float:
        started = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (path, response.status_code)
        return elapsed

    return get


def _statements(call: Callable[[], Any]) -> int:
    """Statements Django sends for `call` (its execute wrappers see every query of the ORM and
    of cursors; the binding's two go to psycopg directly and are not among them)."""
    count = [0]

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        call()
    return count[0]


def run(*, quick: bool) -> BenchResult:
    from django.conf import settings
    from django.test import Client, override_settings

    from accounts.models import User
    from demo.seed import demo_seed
    from tenants.services import public_tenant_ensure
    from vendors.models import Vendor
    from vendors.row_security import vendor_scope

    rows = 2_000 if quick else int(os.environ.get("BENCH_RLS_ROWS", "50000"))
    runs = 30 if quick else 200
    result = BenchResult(
        benchmark="Row-level security: the binding per request, vendor pages and queries with and without it",
        command=f"python -m bench --only rls{' --quick' if quick else ''}",
        size={"sub_orders_and_transfers_per_vendor": rows, "vendors_with_rows": 2, "page_loads_per_variant": runs,
              "binding_round_trips_sampled": runs * 10},
    )
    public_tenant_ensure()
    demo_seed()
    measured, other = list(Vendor.objects.filter(store__isnull=False).order_by("pk")[:2])
    buyer, _ = User.objects.get_or_create(email="rls-bench@example.com")
    _cleanup()
    try:
        seed_transfers(count=rows, vendor=measured, buyer=buyer, tag=TAGS[0])
        seed_transfers(count=rows, vendor=other, buyer=buyer, tag=TAGS[1])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE payouts_transfer")
            cursor.execute("ANALYZE orders_suborder")
        assert measured.store is not None  # the filter above
        schema = measured.store.schema_name

        # 1. The binding itself: one statement to bind, one to release, on an open connection.
        connection.ensure_connection()
        samples = []
        for _ in range(runs * 10):
            started = time.perf_counter()
            with vendor_scope(schema):
                pass
            samples.append(time.perf_counter() - started)
        stats = summary_ms(samples)
        result.add("bind + release per request p50", stats["p50_ms"], "ms", note="2 round trips")
        result.add("bind + release per request p95", stats["p95_ms"], "ms")

        # 2. Raw queries as the vendor's role (policy applies) and as the owner (no policy).
        def query(sql: str) -> Callable[[], Any]:
            def call() -> Any:
                with connection.cursor() as cursor:
                    cursor.execute(sql, [measured.pk] if "%s" in sql else [])
                    return cursor.fetchall()
            return call

        def as_vendor(sql: str) -> Callable[[], float]:
            def call() -> float:
                with vendor_scope(schema):  # bound outside the measured query
                    return _timed(query(sql))
            return call

        def as_owner(sql: str) -> Callable[[], float]:
            return lambda: _timed(query(sql))

        filtered = "SELECT count(*), sum(amount) FROM payouts_transfer WHERE vendor_id = %s"
        on, off = _interleaved(runs, as_vendor(filtered), as_owner(filtered))
        _compare(result, "vendor's transfer total (filtered by vendor in SQL)", on, off)
        sub_orders = ("SELECT count(*), sum(s.net_amount) FROM orders_suborder s JOIN orders_order o "
                      "ON o.id = s.order_id WHERE s.vendor_id = %s AND o.paid_at IS NOT NULL")
        on, off = _interleaved(runs, as_vendor(sub_orders), as_owner(sub_orders))
        _compare(result, "vendor's paid sub-orders total (join)", on, off)
        unfiltered = "SELECT count(*) FROM payouts_transfer"
        with vendor_scope(schema):
            seen = query(unfiltered)()[0][0]
        on, off = _interleaved(runs, as_vendor(unfiltered), as_owner(unfiltered))
        _compare(result, f"unfiltered count (vendor sees {seen:,} rows, owner all)", on, off)
        with vendor_scope(schema), connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {filtered}", [measured.pk])  # nosec B608  # constant SQL
            plan = " ".join(row[0].strip() for row in cursor.fetchall())
        result.details["plan of the vendor's filtered total under the policy"] = plan

        # 3. Vendor pages through the whole stack, with the binding middleware and without it.
        owner = measured.memberships.get(role="owner").user
        client = Client(HTTP_HOST=measured.host)
        client.force_login(owner)
        without_mw = [m for m in settings.MIDDLEWARE if m != "vendors.middleware.VendorScopeMiddleware"]
        for name, path in (("money page", "/dashboard/money/"), ("orders page", "/dashboard/orders/"),
                           ("claims page", "/dashboard/claims/")):
            get = _page(client, path)
            get()  # warm-up

            def unbound(get: Callable[[], float] = get) -> float:
                with override_settings(MIDDLEWARE=without_mw):
                    return get()

            unbound()
            on, off = _interleaved(runs, get, unbound)
            _compare(result, f"{name} ({path})", on, off)
            queries_on, queries_off = _statements(get), _statements(unbound)
            result.add(f"{name} queries with RLS / without", f"{queries_on} + 2 / {queries_off}", "statements",
                       note="the view's own, plus the binding's two round trips (not in Django's query log)")
    finally:
        _cleanup()
    return result


def describe() -> dict[str, Any]:
    return {"name": "rls"}
