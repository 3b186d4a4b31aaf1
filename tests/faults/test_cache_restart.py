"""Valkey (cache and broker) killed and started empty under the running platform: nobody is signed
out, rate limits count again from zero, and work whose queued task was lost with it is found from
its durable record by the sweep and done by a worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from devservices import backup
from payments.models import PaymentRecord, WebhookEvent
from stripe_emulator import sign
from tests.factories import UserFactory
from tests.faults.harness import BASE_DIR, AppServer, OwnValkey
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

WEBHOOK_SECRET = "whsec_cache_restart"
SEARCH_LIMIT = 3


@pytest.fixture
def valkey() -> Iterator[OwnValkey]:
    server = OwnValkey()
    server.start()
    yield server
    server.close()


@pytest.fixture
def platform_env(valkey: OwnValkey) -> dict[str, str]:
    """The committed test database, this test's own Valkey for cache and broker."""
    return {
        "DATABASE_URL": backup.database_url_with(os.environ["DATABASE_URL"], database=connection.settings_dict["NAME"]),
        "REDIS_URL": valkey.url + "/0", "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "RATE_LIMIT_SEARCH": f"{SEARCH_LIMIT}/h/ip",
    }


@pytest.fixture
def app(platform_env: dict[str, str]) -> Iterator[AppServer]:
    server = AppServer(env=platform_env).start()
    yield server
    server.stop()


@pytest.fixture
def worker(platform_env: dict[str, str]) -> Iterator[Any]:
    """A Celery worker process on this test's Valkey; started by the test when it needs it."""
    processes: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "threads", "-c", "2",
             "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
            cwd=BASE_DIR, env={**os.environ, **platform_env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    yield start
    for process in processes:
        process.terminate()
        process.wait(20)


def _signed_event() -> tuple[bytes, str]:
    intent = {"id": "pi_cache_restart", "object": "payment_intent", "status": "requires_payment_method",
              "amount": 2500, "currency": "eur", "latest_charge": None, "metadata": {}}
    event = {"id": "evt_cache_restart", "object": "event", "api_version": "2024-06-20", "created": int(time.time()),
             "livemode": False, "pending_webhooks": 1, "type": "payment_intent.created", "account": None,
             "request": {"id": None, "idempotency_key": None}, "data": {"object": intent}}
    body = json.dumps(event)
    return body.encode(), sign(body, WEBHOOK_SECRET)


def _searches(app: AppServer, count: int) -> list[int]:
    return [app.get("/api/v1/listings/?q=lamp").status for _ in range(count)]


def _queued(valkey: OwnValkey) -> int:
    """Messages waiting in the broker's default queue (the test settings' broker database)."""
    import redis

    database = int(str(settings.CELERY_BROKER_URL).rsplit("/", 1)[1])
    return int(redis.Redis.from_url(f"{valkey.url}/{database}").llen("celery"))


def _sweep(platform_env: dict[str, str]) -> int:
    """What beat runs every two minutes (payments-webhook-events-requeue-stuck), once, now."""
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); "
         "from payments.tasks import webhook_events_requeue_stuck as sweep; print(sweep())"],
        cwd=BASE_DIR, env={**os.environ, **platform_env}, capture_output=True, text=True, check=True, timeout=120)
    return int(done.stdout.strip().splitlines()[-1])


def test_a_cache_and_broker_restart_loses_no_session_and_no_work(
    app: AppServer, valkey: OwnValkey, worker: Any, platform_env: dict[str, str],
) -> None:
    buyer = UserFactory(email="still-here@example.com")
    browser = Client()
    browser.force_login(buyer)
    cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"}
    signed_in = app.get("/orders/", headers=cookie)
    assert signed_in.status == 200 and b"still-here@example.com" in signed_in.body

    # Work queued, then lost: the webhook is stored and its apply task sits in the broker (no
    # worker yet) when Valkey dies with everything in it.
    payload, signature = _signed_event()
    delivered = app.request("POST", "/webhooks/stripe/", data=payload, headers={"Stripe-Signature": signature})
    assert delivered.status == 200, delivered
    assert WebhookEvent.objects.get(stripe_id="evt_cache_restart").status == WebhookEvent.Status.RECEIVED
    assert _queued(valkey) == 1
    assert _searches(app, SEARCH_LIMIT + 1)[-1] == 429

    killed = time.monotonic()
    valkey.stop()
    # While it is down, what needs it answers "try again", not a server error.
    down = app.get("/api/v1/listings/?q=lamp")
    assert down.status == 503 and down.json()["error"]["code"] == "service_unavailable"
    assert int(down.headers["Retry-After"]) > 0
    valkey.start()
    assert _queued(valkey) == 0  # the apply task is gone

    # Signed in still (sessions live in the database), through the same app process.
    page = app.get("/orders/", headers=cookie)
    assert page.status == 200 and b"still-here@example.com" in page.body
    # The limits' counters went with Valkey: they count again from zero, and still stop at the limit.
    assert _searches(app, SEARCH_LIMIT + 1) == [200] * SEARCH_LIMIT + [429]

    # Two minutes later (the sweep leaves younger events to their own task), the sweep finds the
    # event still `received` and queues it again; a worker applies it.
    worker()
    WebhookEvent.objects.filter(stripe_id="evt_cache_restart").update(received_at=timezone.now() - timedelta(minutes=2))
    assert _sweep(platform_env) == 1
    wait_until(lambda: WebhookEvent.objects.get(stripe_id="evt_cache_restart").status == WebhookEvent.Status.APPLIED,
               timeout=60, message="the swept event applied")
    assert PaymentRecord.objects.get(payment_intent_id="pi_cache_restart").amount == 2500
    print(f"cache restart: session kept, limit counted again from zero, lost task recovered by the sweep; "
          f"kill to swept event applied {time.monotonic() - killed:.1f} s")
