"""Finance: time and peak memory of a 100,000-transfer payout export (CSV and XLSX)."""

from __future__ import annotations

import datetime as dt
import time
import tracemalloc
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from bench.common import BenchResult, peak_rss_mb

TAG = "finbench"


def _columns(model: Any, **overrides: str) -> tuple[str, str]:
    """(target columns, select expressions) copying a template row `t`, with SQL overrides."""
    names = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    exprs = [overrides.get(name, f"t.{connection.ops.quote_name(name)}") for name in names]
    return ", ".join(connection.ops.quote_name(n) for n in names), ", ".join(exprs)


@transaction.atomic
def seed_transfers(*, count: int, vendor: Any, buyer: Any, tag: str = TAG) -> dict[str, int]:
    """`count` paid orders of one vendor, each with a sub-order and a transferred Transfer.

    One template row per table is made with the ORM, then copied `count` times server-side with
    INSERT … SELECT generate_series (seconds for 100k rows, no Python objects).
    """
    from orders.models import Order, SubOrder
    from payouts.models import Transfer

    now = timezone.now()
    order = Order.objects.create(
        buyer=buyer, email=buyer.email, status=Order.Status.PAID, currency="EUR",
        tax_display=Order.TaxDisplay.INCLUSIVE, subtotal_amount=1000, shipping_amount=0, tax_amount=0,
        total_amount=1000, commission_amount=100, checkout_token=f"{tag}-template",
        reserved_until=now, paid_at=now - dt.timedelta(days=1), ship_name="Bench", ship_line1="1 Road",
        ship_city="Berlin", ship_postal_code="10115", ship_country="DE",
    )
    sub = SubOrder.objects.create(
        order=order, vendor=vendor, status=SubOrder.Status.PAID, shipping_name="Standard", shipping_amount=0,
        subtotal_amount=1000, tax_amount=0, total_amount=1000, commission_amount=100, net_amount=900,
    )
    transfer = Transfer.objects.create(
        sub_order=sub, order=order, vendor=vendor, amount=900, currency="EUR", status="transferred",
        hold_policy="immediate", release_at=now, idempotency_key=f"{tag}:template",
        stripe_transfer_id=f"tr_{tag}_template", amount_transferred=900, transferred_at=now,
    )
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cols, exprs = _columns(Order, checkout_token=f"'{tag}-' || g")
        cursor.execute(
            f"INSERT INTO {q(Order._meta.db_table)} ({cols}) SELECT {exprs} "  # noqa: S608  # nosec B608  # quoted table names and a bench tag; values are parameters
            f"FROM {q(Order._meta.db_table)} t, generate_series(1, %s) g WHERE t.id = %s",
            [count - 1, order.pk],
        )
        # Fresh statistics before joining the copies: with the planner still believing the tables
        # hold a few rows, the joins below became nested loops over 100k × 100k rows (minutes of
        # CPU) in some runs; ANALYZE sees this transaction's own rows.
        cursor.execute(f"ANALYZE {q(Order._meta.db_table)}")
        cols, exprs = _columns(SubOrder, order_id="o.id")
        cursor.execute(
            f"INSERT INTO {q(SubOrder._meta.db_table)} ({cols}) SELECT {exprs} "  # noqa: S608  # nosec B608  # as above
            f"FROM {q(SubOrder._meta.db_table)} t, {q(Order._meta.db_table)} o "
            f"WHERE t.id = %s AND o.checkout_token LIKE %s AND o.id <> %s",
            [sub.pk, f"{tag}-%", order.pk],
        )
        cursor.execute(f"ANALYZE {q(SubOrder._meta.db_table)}")
        cols, exprs = _columns(Transfer, sub_order_id="s.id", order_id="s.order_id",
                               idempotency_key=f"'{tag}:' || s.id",
                               stripe_transfer_id=f"'tr_{tag}_' || s.id")
        cursor.execute(
            f"INSERT INTO {q(Transfer._meta.db_table)} ({cols}) SELECT {exprs} "  # noqa: S608  # nosec B608  # as above
            f"FROM {q(Transfer._meta.db_table)} t, {q(SubOrder._meta.db_table)} s "
            f"JOIN {q(Order._meta.db_table)} o ON o.id = s.order_id "
            f"WHERE t.id = %s AND o.checkout_token LIKE %s AND s.id <> %s",
            [transfer.pk, f"{tag}-%", sub.pk],
        )
    return {"orders": Order.objects.filter(checkout_token__startswith=f"{tag}-").count()}


def measure_export(*, fmt: str, date_from: dt.date, date_to: dt.date, trace: bool = True) -> dict[str, Any]:
    """Run one payout export in this process: seconds, traced peak MB (with `trace`), rows.

    tracemalloc slows allocation-heavy code a lot (openpyxl most), so times are taken untraced.
    """
    from payouts.exports import export_job_run
    from payouts.models import ExportJob

    job = ExportJob.objects.create(
        kind=ExportJob.Kind.PAYOUT_REPORT, format=fmt,
        params={"date_from": date_from.isoformat(), "date_to": date_to.isoformat()},
        params_checksum=f"bench-{fmt}-{time.time_ns()}",
    )
    if trace:
        tracemalloc.start()
        tracemalloc.reset_peak()
    baseline = tracemalloc.get_traced_memory()[0] if trace else 0
    started = time.perf_counter()
    job = export_job_run(job_id=job.pk)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    if job.file:
        from payouts.exports import export_storage

        export_storage().delete(job.file)  # the bench leaves no files behind
    return {"seconds": elapsed, "peak_mb": (peak - baseline) / 1024 / 1024, "rows": job.rows,
            "status": job.status}


def _cleanup(tag: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM payouts_transfer WHERE idempotency_key LIKE %s", [f"{tag}:%"])
        cursor.execute(
            "DELETE FROM orders_suborder WHERE order_id IN (SELECT id FROM orders_order WHERE checkout_token LIKE %s)",
            [f"{tag}-%"])
        cursor.execute("DELETE FROM orders_order WHERE checkout_token LIKE %s", [f"{tag}-%"])
        cursor.execute("DELETE FROM payouts_exportjob WHERE params_checksum LIKE 'bench-%%'")


def run(*, quick: bool) -> BenchResult:
    from accounts.models import User
    from vendors.models import Vendor

    count = 10_000 if quick else 100_000
    result = BenchResult(
        benchmark="Finance: payout export of many transfers (time, peak memory)",
        command=f"python -m bench --only finance{' --quick' if quick else ''}",
        size={"transfers": count},
    )
    from tenants.services import public_tenant_ensure

    public_tenant_ensure()
    buyer, _ = User.objects.get_or_create(email="finance-bench@example.com")
    vendor = Vendor.objects.filter(store__isnull=False).order_by("pk").first()
    if vendor is None:
        from vendors.services import vendor_create

        vendor = vendor_create(slug="finbench", name="Finance bench", owner=buyer, currency="EUR",
                               status=Vendor.Status.ACTIVE, provision_now=True)
    _cleanup(TAG)
    started = time.perf_counter()
    seed_transfers(count=count, vendor=vendor, buyer=buyer)
    result.add("seed_transfers", round(time.perf_counter() - started, 2), "s", note=f"{count} rows")
    today = timezone.now().date()
    try:
        date_from, date_to = today - dt.timedelta(days=7), today
        for fmt in ("csv", "xlsx"):
            timed = measure_export(fmt=fmt, date_from=date_from, date_to=date_to, trace=False)
            result.add(f"export_{fmt}_time", round(timed["seconds"], 2), "s", note=f"{timed['rows']} rows, untraced")
        # Peak Python memory under tracemalloc (slower than the untraced runs above).
        for fmt in ("csv", "xlsx"):
            traced = measure_export(fmt=fmt, date_from=date_from, date_to=date_to)
            result.add(f"export_{fmt}_peak_traced", round(traced["peak_mb"], 1), "MB", target="< 60 MB")
    finally:
        _cleanup(TAG)
    result.add("peak_rss", peak_rss_mb(), "MB")
    return result
