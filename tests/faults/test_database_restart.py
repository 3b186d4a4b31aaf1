"""PostgreSQL restarted under checkouts: buyers get 503 with Retry-After (JSON on the API, a page
elsewhere), no order is half-written, and the running app reconnects by itself."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from accounts.tokens import api_token_issue
from tests.factories import UserFactory
from tests.factories.orders import sellable_variant
from tests.faults.harness import Answer, AppServer, OwnPostgres
from tests.support.stripe import WEBHOOK_SECRET
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

STOCK = 1000
BUYERS = 32  # more than the checkouts one run offers (about 23)
ADDRESS = {"name": "Bea Buyer", "line1": "Hauptstr. 1", "line2": "", "city": "Berlin", "region": "",
           "postal_code": "10115", "country": "DE"}
# Limits that would stop one test's buyers from ordering this often (the production values stay
# tested where they are: tests/orders/test_velocity.py, tests/common).
LIMITS_LIFTED = {
    "RATE_LIMIT_CHECKOUT": "100000/m", "ORDERS_MAX_UNPAID_PER_BUYER": "100000",
    "ORDERS_NEW_BUYER_MAX_UNITS_PER_VARIANT": "100000", "ORDERS_NEW_BUYER_MAX_UNITS_PER_VENDOR": "100000",
}


@dataclass
class Attempt:
    started: float
    cart: Answer
    checkout: Answer | None


@pytest.fixture
def shop(vendor_a: Any) -> dict[str, Any]:
    """One variant with plenty of stock and a buyer (with an API token) for each checkout: two
    checkouts of one buyer at once would share a cart, and the second find it emptied (400)."""
    variant = sellable_variant(vendor_a, price=1200, stock=STOCK)
    tokens = [api_token_issue(user=UserFactory(email=f"restart{n}@example.com"), device="fault")[1]
              for n in range(BUYERS)]
    return {"vendor": vendor_a, "variant": variant, "tokens": tokens}


@pytest.fixture
def own_postgres(shop: dict[str, Any]) -> Iterator[OwnPostgres]:
    server = OwnPostgres().start_from_test_database()
    yield server
    server.close()


@pytest.fixture
def app(own_postgres: OwnPostgres, emulator: Any) -> Iterator[AppServer]:
    server = AppServer(env={
        "DATABASE_URL": own_postgres.url, "STRIPE_API_BASE": emulator.url, "STRIPE_SECRET_KEY": "",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS": "3",
        **LIMITS_LIFTED,
    }).start()
    yield server
    server.stop()


def _checkout(app: AppServer, shop: dict[str, Any], n: int) -> Attempt:
    headers = {"Authorization": f"Token {shop['tokens'][n % len(shop['tokens'])]}"}
    started = time.monotonic()
    cart = app.post("/api/v1/cart/items/", {"vendor_id": shop["vendor"].pk, "variant_id": shop["variant"].pk,
                                         "quantity": 1}, headers=headers)
    if cart.status != 201:
        return Attempt(started, cart, None)
    checkout = app.post("/api/v1/checkout/", {"address": ADDRESS, "checkout_token": f"restart-{n}"}, headers=headers)
    return Attempt(started, cart, checkout)


def _parallel_reads(app: AppServer, shop: dict[str, Any], count: int) -> list[int]:
    """`count` order lists at once: more than the app's threads, so every thread serves one."""
    headers = {"Authorization": f"Token {shop['tokens'][0]}"}
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: app.get("/api/v1/orders/", headers=headers).status, range(count)))


def _assert_try_again(answer: Answer) -> None:
    assert answer.status == 503
    assert int(answer.headers["Retry-After"]) == 3
    assert answer.json()["error"]["code"] == "service_unavailable"


def _orders_consistent(url: str, shop: dict[str, Any]) -> dict[str, int]:
    """Every order whole (sub-orders and lines), and stock + units ordered = the stock we began with."""
    schema = shop["vendor"].store.schema_name
    with psycopg.connect(url) as conn:
        orders = conn.execute("SELECT count(*) FROM orders_order").fetchone()[0]  # type: ignore[index]
        hollow = conn.execute(
            "SELECT count(*) FROM orders_order o WHERE NOT EXISTS (SELECT 1 FROM orders_suborder s WHERE s.order_id = o.id)"
            " OR NOT EXISTS (SELECT 1 FROM orders_orderline l WHERE l.order_id = o.id)").fetchone()[0]  # type: ignore[index]
        units = conn.execute("SELECT coalesce(sum(quantity), 0) FROM orders_orderline WHERE variant_id = %s",
                             [shop["variant"].pk]).fetchone()[0]  # type: ignore[index]
        stock = conn.execute(f'SELECT stock FROM "{schema}".catalog_variant WHERE id = %s',
                             [shop["variant"].pk]).fetchone()[0]  # type: ignore[index]
    return {"orders": orders, "hollow": hollow, "units": int(units), "stock": stock}


def test_checkouts_across_a_database_restart(app: AppServer, own_postgres: OwnPostgres, shop: dict[str, Any]) -> None:
    attempts: list[Attempt] = []
    lock = threading.Lock()

    def arrive(n: int) -> None:
        attempt = _checkout(app, shop, n)
        with lock:
            attempts.append(attempt)

    with ThreadPoolExecutor(max_workers=6) as pool:
        # Open loop: a checkout every 0.2 s whatever the answers, across stop, downtime and start.
        n = 0
        for phase, seconds in (("before", 1.5), ("down", 0.0), ("during", 2.0), ("up", 0.0), ("after", 1.0)):
            if phase == "down":
                own_postgres.stop()
                stopped_at = time.monotonic()
                page = app.get("/")
                api = app.get("/api/v1/orders/", headers={"Authorization": f"Token {shop['tokens'][0]}"})
            elif phase == "up":
                own_postgres.start()
                restarted_at = time.monotonic()
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                assert n < BUYERS - 1  # the last buyer is the one checking out after the restart
                pool.submit(arrive, n)
                n += 1
                time.sleep(0.2)  # the arrival rate, not a wait for work

    # While it was down: a page and the API both say "try again", neither a 500.
    assert page.status == 503 and "text/html" in page.headers["Content-Type"], page
    assert int(page.headers["Retry-After"]) == 3 and b"try again" in page.body.lower()
    _assert_try_again(api)

    answers = [a for attempt in attempts for a in (attempt.cart, attempt.checkout) if a is not None]
    assert {a.status for a in answers} <= {200, 201, 503}, [(a.status, a.body[:300]) for a in answers if a.status not in (200, 201, 503)][:3]
    refused = [a for a in answers if a.status == 503]
    assert refused, "no request met the outage"
    for answer in refused:
        _assert_try_again(answer)

    # The same process reconnects by itself: a checkout after the restart goes through.
    assert app.process is not None and app.process.poll() is None
    tries: list[Any] = []

    def checkout_succeeds() -> bool:
        tries.append(last := _checkout(app, shop, BUYERS - 1))
        return last.checkout is not None and last.checkout.status == 201

    wait_until(checkout_succeeds, timeout=30, interval=0.2,
               message=lambda: f"no checkout succeeded after the restart: {tries[-1] if tries else None}")
    recovered_after = time.monotonic() - restarted_at
    assert recovered_after < 30
    # ...and no request after the restart pays for a connection that died with the old server
    # (CONN_HEALTH_CHECKS: a stale pooled connection is replaced before the request uses it).
    late = [a for a in attempts if a.started > restarted_at]
    assert late and all(a.checkout is not None and a.checkout.status in (200, 201) for a in late), [
        (a.cart.status, a.checkout and a.checkout.status) for a in late]

    # A restart while the app is idle: every gunicorn thread's kept connection (CONN_MAX_AGE) died
    # with the old server, and no failed request has closed it. Each is found dead and replaced
    # before use (CONN_HEALTH_CHECKS), so not even the first requests after it are refused.
    assert set(_parallel_reads(app, shop, 8)) == {200}
    own_postgres.stop()
    own_postgres.start()
    assert set(_parallel_reads(app, shop, 8)) == {200}

    placed = [a for a in attempts if a.checkout is not None and a.checkout.status in (200, 201)]
    state = _orders_consistent(own_postgres.url, shop)
    assert state["hollow"] == 0
    assert state["units"] + state["stock"] == STOCK
    # Every order a buyer was told about exists; an order may exist that its buyer never heard of
    # (committed just before the connection dropped), never one half-written.
    assert state["orders"] >= len(placed) + 1
    print(f"database restart: {len(attempts)} checkouts, {len(placed)} placed, {len(refused)} answers 503, "
          f"down {restarted_at - stopped_at:.1f} s, first checkout {recovered_after:.1f} s after the restart")
