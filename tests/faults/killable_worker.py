"""A real Celery worker in its own process group, started, killed with SIGKILL and restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
# Short, so a killed worker's messages come back within seconds (production: 2 h, base.py); longer
# than any paused task, so a live task is not handed out twice while it runs.
VISIBILITY_SECONDS = int(os.environ.get("FAULTS_VISIBILITY_SECONDS", "4"))


def database_url() -> str:
    """The test database, as the worker process must reach it: the server of DATABASE_URL."""
    return urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{connection.settings_dict['NAME']}").geturl()


class Worker:
    """`celery worker` (prefork, one child, as deployed) on the test's broker and database."""

    def __init__(self, *, stripe_api_base: str, markers: str, log_dir: Path) -> None:
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url(),
            "STRIPE_API_BASE": stripe_api_base,
            "STRIPE_SECRET_KEY": "",
            "CELERY_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS),
            "FAULTS_MARKERS": markers,
            "PYTHONPATH": str(ROOT),
        }
        self.markers = markers
        self.log_dir = log_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0

    def start(self, *, pause_at: str = "", pause_seconds: float = 30) -> None:
        assert self.process is None or self.process.poll() is not None, "a worker is already running"
        self.starts += 1
        env = {**self.env, "FAULTS_PAUSE_AT": pause_at, "FAULTS_PAUSE_SECONDS": str(pause_seconds)}
        log = open(self.log_dir / f"worker-{self.starts}.log", "wb")  # noqa: SIM115 (the process owns it)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tests.faults.worker", "worker", "--pool", "prefork",
             "--concurrency", "1", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--loglevel", "WARNING", "--hostname", f"faults{self.starts}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_marker(self, timeout: float = 60) -> str:
        """Wait for the worker to announce it paused mid-task; return `kind:id:pid`."""
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            item = client.blpop([self.markers], timeout=1)
            if item:
                value = item[1]
                return value.decode() if isinstance(value, bytes) else str(value)
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"the worker exited ({self.process.returncode}); see {self.log_dir}")
        raise AssertionError(f"no task paused within {timeout}s; see {self.log_dir}")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool child), as the kernel's OOM killer or a
        lost machine would: no shutdown handler, no acknowledgement, no rollback but PostgreSQL's."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def paid_order_place(*, email: str, token: str, vendors: list[Any], variants: list[Any]) -> Any:
    """One unit of each vendor's variant, checked out and confirmed on the emulator; the order.

    Its payment webhook is left to the caller (delivered and applied as the fault test needs).
    """
    from orders import services
    from payments import gateway
    from tests.factories import UserFactory
    from tests.support.addresses import ADDRESS_DE

    buyer = UserFactory(email=email)
    cart = services.cart_for(user=buyer, create=True)
    assert cart is not None
    for vendor, variant in zip(vendors, variants, strict=True):
        services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=1)
    order = services.checkout_submit(user=buyer, address=ADDRESS_DE, shipping_choice={}, checkout_token=token)
    services.order_payment_start(order=order, return_url="http://marketplace.localhost/checkout/return/")
    order.refresh_from_db()
    gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method="pm_card_visa")
    return order
