"""Checkout: checkouts per second and latency (sequential and parallel), and an oversell race.

`python -m bench --only checkout [--quick]`. Each checkout is the real service: re-price from two
vendor schemas, tax, shipping, commission, conditional stock updates in both schemas, the order
with its sub-orders, in one transaction; a sample also creates the PaymentIntent on the emulator.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.db import connection

from bench.common import BenchResult, peak_rss_mb, summary_ms

SLUGS = ("ckbench-a", "ckbench-b")


def _vendors() -> list[Any]:
    from accounts.models import User
    from vendors.models import Vendor
    from vendors.services import vendor_create

    vendors = []
    for slug in SLUGS:
        vendor = Vendor.objects.filter(slug=slug).select_related("store").first()
        if vendor is None:
            owner = User.objects.filter(email=f"owner@{slug}.bench").first() or User.objects.create_user(
                f"owner@{slug}.bench", "bench-pass-1234"
            )
            vendor = vendor_create(slug=slug, name=slug, owner=owner, currency="EUR",
                                   status=Vendor.Status.ACTIVE, provision_now=True)
        Vendor.objects.filter(pk=vendor.pk).update(charges_enabled=True, status=Vendor.Status.ACTIVE)
        vendor.refresh_from_db()
        vendors.append(vendor)
    return vendors


def _variant(vendor: Any, *, stock: int, tag: str) -> Any:
    from django_tenants.utils import schema_context

    from catalog.models import Product, Variant

    with schema_context(vendor.store.schema_name):
        product = Product.objects.create(name=f"Bench {tag}", handle=f"bench-{tag}-{time.time_ns()}",
                                         status=Product.Status.ACTIVE)
        return Variant.objects.create(product=product, sku=f"B-{tag}-{time.time_ns()}", price_amount=1999,
                                      currency="EUR", stock=stock, weight_grams=400)


def _buyers(count: int, tag: str, items: list[tuple[Any, Any, int]]) -> list[Any]:
    from accounts.models import User
    from orders import services

    buyers = []
    for index in range(count):
        user = User.objects.create_user(f"bench-{tag}-{index}-{time.time_ns()}@bench.example", None)
        cart = services.cart_for(user=user, create=True)
        for vendor, variant, quantity in items:
            services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=quantity)
        buyers.append(user)
    return buyers


def _checkout(user: Any) -> Any:
    from orders import services
    from orders.addresses import Address

    address = Address(name="Bench", line1="Hauptstr. 1", line2="", city="Berlin", region="",
                      postal_code="10115", country="DE")
    return services.checkout_submit(user=user, address=address, shipping_choice={},
                                    checkout_token=f"bench-{user.pk}")


def _parallel(buyers: list[Any], threads: int) -> tuple[list[float], dict[str, int], float]:
    from orders.errors import OutOfStock

    queue = list(buyers)
    lock = threading.Lock()
    samples: list[float] = []
    outcomes = {"ordered": 0, "out_of_stock": 0, "error": 0}
    barrier = threading.Barrier(threads)

    def work() -> None:
        barrier.wait()
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    user = queue.pop()
                started = time.perf_counter()
                try:
                    _checkout(user)
                    outcome = "ordered"
                except OutOfStock:
                    outcome = "out_of_stock"
                except Exception:  # noqa: BLE001 - counted
                    outcome = "error"
                with lock:
                    samples.append(time.perf_counter() - started)
                    outcomes[outcome] += 1
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return samples, outcomes, time.perf_counter() - started


def run(*, quick: bool) -> BenchResult:
    from django.test import override_settings

    from orders import services
    from payments.emulator.server import EmulatorServer
    from tenants.services import public_tenant_ensure

    sequential = 40 if quick else 400
    parallel = 80 if quick else 800
    threads = 8 if quick else 16
    racers, units = (40, 10) if quick else (200, 25)
    result = BenchResult(
        benchmark="Checkout: orders per second, latency, oversell race",
        command=f"python -m bench --only checkout{' --quick' if quick else ''}",
        size={"sequential_checkouts": sequential, "parallel_checkouts": parallel, "threads": threads,
              "racers": racers, "racing_units": units, "vendors_per_order": 2},
    )
    public_tenant_ensure()
    vendor_a, vendor_b = _vendors()
    stock = 10 * (sequential + parallel)
    va = _variant(vendor_a, stock=stock, tag="a")
    vb = _variant(vendor_b, stock=stock, tag="b")
    items = [(vendor_a, va, 2), (vendor_b, vb, 1)]

    buyers = _buyers(sequential, "seq", items)
    samples = []
    started = time.perf_counter()
    for user in buyers:
        t0 = time.perf_counter()
        _checkout(user)
        samples.append(time.perf_counter() - t0)
    wall = time.perf_counter() - started
    stats = summary_ms(samples)
    result.add("sequential checkouts per second", round(sequential / wall, 1), "orders/s")
    result.add("sequential checkout p50", stats["p50_ms"], "ms")
    result.add("sequential checkout p95", stats["p95_ms"], "ms", target="< 250 ms")

    buyers = _buyers(parallel, "par", items)
    samples, outcomes, wall = _parallel(buyers, threads)
    stats = summary_ms(samples)
    result.add(f"parallel checkouts per second ({threads} threads)", round(outcomes["ordered"] / wall, 1), "orders/s")
    result.add("parallel checkout p95", stats["p95_ms"], "ms",
               note="every buyer takes the same two variants: the stock rows are the hot spot")
    result.add("parallel checkout errors", outcomes["error"], "count", target="0", met=outcomes["error"] == 0)

    # A sample through the payment gateway (PaymentIntent on the local emulator), end to end.
    emulator = EmulatorServer(port=0).start()
    try:
        with override_settings(STRIPE_API_BASE=emulator.url, STRIPE_SECRET_KEY=""):
            pay_buyers = _buyers(20 if quick else 100, "pay", items)
            pay_samples = []
            for user in pay_buyers:
                t0 = time.perf_counter()
                order = _checkout(user)
                services.order_payment_start(order=order, return_url="http://marketplace.localhost/r/")
                pay_samples.append(time.perf_counter() - t0)
        pay_stats = summary_ms(pay_samples)
        result.add("checkout + PaymentIntent p95 (emulator)", pay_stats["p95_ms"], "ms")
    finally:
        emulator.stop()

    scarce = _variant(vendor_a, stock=units, tag="race")
    race_buyers = _buyers(racers, "race", [(vendor_a, scarce, 1)])
    _samples, race, race_wall = _parallel(race_buyers, min(racers, 32))
    from django_tenants.utils import schema_context

    from catalog.models import Variant

    with schema_context(vendor_a.store.schema_name):
        left = Variant.objects.get(pk=scarce.pk).stock
    result.add("oversell race: units sold", race["ordered"], "units", target=f"= {units}",
               met=race["ordered"] == units and left == 0)
    result.add("oversell race: buyers refused", race["out_of_stock"], "buyers", target=f"= {racers - units}",
               met=race["out_of_stock"] == racers - units)
    result.add("oversell race: stock left", left, "units", target="0", met=left == 0)
    result.add("oversell race wall time", round(race_wall, 2), "s")
    result.add("peak RSS of the benchmark process", peak_rss_mb(), "MB")
    return result
