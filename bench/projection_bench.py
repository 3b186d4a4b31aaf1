"""Catalog to marketplace: outbox relay throughput and projection lag, `python -m bench --only projection`.

Provisions bench vendor schemas (`vendors.services.vendor_create`, which uses `tenants.services`),
seeds products through `catalog.services`, and starts a real Celery worker subprocess
(`celery -A config worker`, the bench database and its own Valkey database) that relays outbox
events to `marketplace.Listing`. Two phases:

1. steady load: one writer thread per vendor updates random products through
   `catalog.services.product_update` at a fixed total rate; a poller reads the projection every
   50 ms; lag = `listing.updated_at` of the first projected version >= the written one minus the
   writer's commit time.
2. burst: every vendor re-prices all its products at once (`product_prices_change`, one outbox
   event per product) several times in one transaction per vendor; all commit together and
   throughput = events / time from the commit until the projection shows every final version.

The vendor schemas, vendors and listings are dropped at the end.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import REPO, BenchResult, percentile, summary_ms

PREFIX = "pjbench"


def _broker_url() -> str:
    from urllib.parse import urlsplit

    from devservices import embedded

    db = int(os.environ.get("PROJECTION_BENCH_BROKER_DB", "56"))
    return urlsplit(embedded.redis_url())._replace(path=f"/{db}").geturl()


def _use_broker(url: str) -> None:
    """The in-process producer (writers' on-commit `outbox_relay.delay()`) and the worker share it."""
    from config.celery import app

    os.environ["CELERY_BROKER_URL"] = url
    os.environ["CELERY_RESULT_BACKEND"] = url
    if app.conf.broker_url != url:
        app.conf.broker_url = url
        app.conf.result_backend = url
        app._pool = None  # a fresh producer pool on the next send


def _wait(condition: Any, timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(interval)


def _cleanup() -> None:
    from django.db import connection

    from tenants.db import tenant_connection
    from tenants.models import Domain, Store
    from vendors.models import Vendor

    tenant_connection().set_schema_to_public()
    vendors = list(Vendor.objects.filter(slug__startswith=PREFIX).select_related("store"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [f"v_{PREFIX}%"])
        for (schema,) in cursor.fetchall():
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        if vendors:
            cursor.execute("DELETE FROM marketplace_listing WHERE vendor_id = ANY(%s)", [[v.pk for v in vendors]])
    store_ids = [v.store_id for v in vendors if v.store_id]
    for vendor in vendors:
        vendor.delete()
    Domain.objects.filter(tenant_id__in=store_ids).delete()
    Store.objects.filter(pk__in=store_ids).delete()
    Store.objects.filter(schema_name__startswith=f"v_{PREFIX}").delete()


def _vendors(count: int) -> list[Any]:
    from accounts.models import User
    from vendors.models import Vendor
    from vendors.services import vendor_create

    vendors = []
    for index in range(count):
        slug = f"{PREFIX}{index:03d}"
        owner = User.objects.filter(email=f"owner@{slug}.bench").first() or User.objects.create_user(
            f"owner@{slug}.bench", None)
        vendor = vendor_create(slug=slug, name=f"Projection bench {index}", owner=owner, currency="EUR",
                               status=Vendor.Status.ACTIVE, provision_now=True)
        Vendor.objects.filter(pk=vendor.pk).update(charges_enabled=True, status=Vendor.Status.ACTIVE)
        vendor.refresh_from_db()
        vendors.append(vendor)
    return vendors


def _products(vendor: Any, count: int) -> list[int]:
    from django_tenants.utils import schema_context

    from catalog import services
    from catalog.models import Product

    with schema_context(vendor.store.schema_name):
        for index in range(count):
            services.product_create(
                name=f"Projection item {index}", status=Product.Status.ACTIVE,
                variants=[{"sku": f"PJ-{index}", "price_amount": 1000 + index, "stock": 10}])
        return list(Product.objects.order_by("pk").values_list("pk", flat=True))


def _projected_versions(vendor_ids: list[int]) -> dict[tuple[int, int], int]:
    from marketplace.models import Listing

    return {(v, p): ver for v, p, ver in
            Listing.objects.filter(vendor_id__in=vendor_ids).values_list("vendor_id", "product_id", "version")}


def _current_versions(vendors: list[Any]) -> dict[tuple[int, int], int]:
    from django_tenants.utils import schema_context

    from catalog.models import Product

    wanted: dict[tuple[int, int], int] = {}
    for vendor in vendors:
        with schema_context(vendor.store.schema_name):
            for pk, version in Product.objects.values_list("pk", "version"):
                wanted[(vendor.pk, pk)] = version
    return wanted


def _caught_up(vendors: list[Any], wanted: dict[tuple[int, int], int]) -> bool:
    seen = _projected_versions([v.pk for v in vendors])
    return all(seen.get(key, -1) >= version for key, version in wanted.items())


def _start_worker(concurrency: int) -> subprocess.Popen[bytes]:
    path = os.environ.get("PROJECTION_BENCH_WORKER_LOG")
    log: Any = Path(path).open("ab") if path else subprocess.DEVNULL  # noqa: SIM115 - the child owns it
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "WARNING", "--concurrency",
         str(concurrency), "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=REPO, env=dict(os.environ, DJANGO_DEBUG="0"), stdout=subprocess.DEVNULL,
        stderr=log)


def _steady(vendors: list[Any], products: dict[int, list[int]], *, rate: float, seconds: float
            ) -> tuple[list[float], int, float]:
    """Writers at `rate` updates/s in total; returns lags (s), writes, achieved write rate."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from catalog import services
    from catalog.models import Product
    from marketplace.models import Listing

    writes: list[tuple[int, int, int, float]] = []
    lock = threading.Lock()
    stop = threading.Event()
    per_writer = rate / len(vendors)
    observed: dict[tuple[int, int], list[tuple[int, float]]] = {}

    def writer(vendor: Any, index: int) -> None:
        rng = random.Random(index)
        interval = 1 / per_writer
        next_at = time.monotonic() + rng.random() * interval
        try:
            with schema_context(vendor.store.schema_name):
                n = 0
                while not stop.is_set():
                    delay = next_at - time.monotonic()
                    if delay > 0:
                        stop.wait(delay)
                    next_at += interval
                    pk = rng.choice(products[vendor.pk])
                    product = services.product_update(product=Product(pk=pk), name=f"Projection item {pk} v{n}")
                    committed = time.time()
                    n += 1
                    with lock:
                        writes.append((vendor.pk, pk, product.version, committed))
        finally:
            connection.close()

    def poller(vendor_ids: list[int]) -> None:
        since = None
        first = True
        try:
            while first or not stop.is_set():
                first = False
                qs = Listing.objects.filter(vendor_id__in=vendor_ids)
                if since is not None:
                    qs = qs.filter(updated_at__gte=since)
                rows = list(qs.values_list("vendor_id", "product_id", "version", "updated_at"))
                for vendor_id, product_id, version, updated_at in rows:
                    history = observed.setdefault((vendor_id, product_id), [])
                    if not history or history[-1][0] < version:
                        history.append((version, updated_at.timestamp()))
                if rows:
                    newest = max(row[3] for row in rows)
                    since = newest if since is None else max(since, newest)
                    # updated_at is stamped before the relay's commit: re-read a margin.
                    since = since - timedelta(seconds=5)
                stop.wait(0.05)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(v, i), daemon=True) for i, v in enumerate(vendors)]
    watcher = threading.Thread(target=poller, args=([v.pk for v in vendors],), daemon=True)
    watcher.start()
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(seconds)  # the load's duration (not a wait for a condition)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    achieved = len(writes) / (time.monotonic() - started)
    wanted = {(v, p): ver for v, p, ver, _ in writes}
    _wait(lambda: _caught_up_keys(wanted), 120, "the projection to catch up after the steady load")
    # One more read of the projection (stop is set: the poller reads once and returns).
    final_poll = threading.Thread(target=poller, args=([v.pk for v in vendors],), daemon=True)
    final_poll.start()
    final_poll.join(timeout=30)
    lags = []
    for vendor_id, pk, version, committed in writes:
        history = observed.get((vendor_id, pk), [])
        seen_at = next((at for ver, at in history if ver >= version), None)
        if seen_at is not None:
            lags.append(max(0.0, seen_at - committed))
    return lags, len(writes), achieved


def _caught_up_keys(wanted: dict[tuple[int, int], int]) -> bool:
    seen = _projected_versions(sorted({v for v, _ in wanted}))
    return all(seen.get(key, -1) >= version for key, version in wanted.items())


def _burst(vendors: list[Any], products: dict[int, list[int]], rounds: int) -> tuple[int, float, float]:
    """Backlog drain: every vendor re-prices all its products `rounds` times in one transaction; all
    commit together, so the relay starts from a full backlog. Returns events, write s, drain s."""
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    from catalog import services

    barrier = threading.Barrier(len(vendors) + 1, timeout=600)
    counts: list[int] = []

    def reprice(vendor: Any) -> None:
        try:
            with schema_context(vendor.store.schema_name), transaction.atomic():
                events = 0
                for round_ in range(rounds):
                    events += services.product_prices_change(product_ids=products[vendor.pk],
                                                             percent=1 if round_ % 2 else -1)
                counts.append(events)
                barrier.wait()  # commit together with the other vendors
        finally:
            connection.close()

    threads = [threading.Thread(target=reprice, args=(v,), daemon=True) for v in vendors]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    barrier.wait()
    released = time.monotonic()
    for thread in threads:
        thread.join(timeout=120)
    wanted = _current_versions(vendors)
    _wait(lambda: _caught_up(vendors, wanted), 600, "the projection to apply the burst", interval=0.1)
    return sum(counts), released - started, time.monotonic() - released


def _profile_relay(vendor: Any) -> str:
    """cProfile of one relay batch in-process (pyinstrument is not installed in the venv)."""
    import cProfile
    import io
    import pstats

    from django_tenants.utils import schema_context

    from catalog import services
    from catalog.models import OutboxEvent, Product

    with schema_context(vendor.store.schema_name):
        pks = list(Product.objects.values_list("pk", flat=True))
        services.product_prices_change(product_ids=pks, percent=1)
        profiler = cProfile.Profile()
        profiler.enable()
        while OutboxEvent.objects.filter(published_at__isnull=True).exists():
            services.outbox_publish_pending(limit=500)
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
    text = out.getvalue()
    return "\n".join(line for line in text.splitlines() if line.strip())[:4000]


def run(*, quick: bool) -> BenchResult:
    from tenants.services import public_tenant_ensure

    vendor_count = 5 if quick else int(os.environ.get("BENCH_PROJECTION_VENDORS", "20"))
    per_vendor = 20 if quick else 50
    rate = 50.0 if quick else float(os.environ.get("BENCH_PROJECTION_RATE", "100"))
    seconds = 10.0 if quick else 30.0
    rounds = 3 if quick else 5
    concurrency = 2 if quick else 4
    result = BenchResult(
        benchmark="Catalog to marketplace: outbox relay and projection lag",
        command=("" if quick else f"BENCH_PROJECTION_VENDORS={vendor_count} ")
        + f"python -m bench --only projection{' --quick' if quick else ''}",
        size={"vendor_schemas": vendor_count, "products_per_vendor": per_vendor, "steady_rate_per_s": rate,
              "steady_seconds": seconds, "burst_rounds": rounds, "worker_concurrency": concurrency,
              **({"scaled_down_from": "20 vendor schemas (BENCH_PROJECTION_VENDORS)"}
                 if not quick and vendor_count < 20 else {})},
    )
    _use_broker(_broker_url())
    from config.celery import app

    app.control.purge()  # this bench's own queue: leftovers of an interrupted run
    public_tenant_ensure()
    _cleanup()
    worker = None
    vendors: list[Any] = []
    try:
        started = time.monotonic()
        vendors = _vendors(vendor_count)
        provision_s = time.monotonic() - started
        products = {v.pk: _products(v, per_vendor) for v in vendors}
        worker = _start_worker(concurrency)
        wanted = _current_versions(vendors)
        _wait(lambda: _caught_up(vendors, wanted), 300, "the worker to project the seeded products", 0.2)
        setup_s = time.monotonic() - started

        lags, writes, achieved = _steady(vendors, products, rate=rate, seconds=seconds)
        stats = summary_ms(lags)
        result.add("steady write rate achieved", round(achieved, 1), "updates/s",
                   note=f"target rate {rate:g}/s from {vendor_count} writer threads (one per vendor schema)")
        result.add("projection lag p50", round(stats["p50_ms"] / 1000, 3), "s")
        lag_p95 = round(percentile(lags, 95), 3)
        result.add("projection lag p95", lag_p95, "s", target="≤ 5 s", met=lag_p95 <= 5)
        result.add("projection lag max", round(max(lags), 3) if lags else float("nan"), "s")

        events, written_s, drain_s = _burst(vendors, products, rounds)
        throughput = round(events / drain_s, 1)
        result.add("backlog events", events, "events",
                   note=f"written through catalog.services in {written_s:.1f} s "
                        f"({events / written_s:.0f} events/s from {vendor_count} threads, committed together)")
        result.add("relay throughput (backlog drain until projected)", throughput, "events/s",
                   target="≥ 1,000 events/s", met=throughput >= 1000,
                   note="" if throughput >= 1000 else "below target; cProfile of the relay is below the notes")
        result.details["notes"] = [
            f"{vendor_count} vendor schemas provisioned in {provision_s:.1f} s; setup incl. seeding and the "
            f"first projection {setup_s:.1f} s; {writes} steady writes, {len(lags)} lags measured.",
            "Lag is measured on one machine (writer clock = database clock), poll interval 50 ms.",
        ]
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        try:
            if vendors and any(fig.met is False and "relay" in fig.name for fig in result.figures):
                # With the worker stopped, the profile sees the relay alone.
                result.details["profiles"] = {
                    "cProfile: outbox_publish_pending draining one vendor's re-price (in-process)":
                        _profile_relay(vendors[0])}
        finally:
            _cleanup()
    return result
