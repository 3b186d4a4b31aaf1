"""The soak (`make soak`): open-loop checkouts, webhooks and shipments with the worker killed.

For `SOAK_SECONDS` (30 minutes by default) buyers arrive at `SOAK_RATE` per second whatever the
system's speed (open loop): each checks out one unit of a scarce lamp (vendor A, pays out at once)
and one of a chair (vendor B, pays out on shipment) and pays on the Stripe emulator, whose signed
webhooks reach the intake as in production; vendor B ships what is paid. A real worker runs the
tasks and the beat its schedule; every `SOAK_KILL_EVERY` seconds (120) the worker is SIGKILLed and
started again. At the end, with the worker left alive until the work settles: oversell 0,
unbalanced ledger entries 0, every paid order with its transfers sent or a recorded hold, and
`manage.py reconcile` (ledger against the gateway, objects of the run's window) clean.

Not collected by `make test` (the file is not named test_*); `make soak` runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context

from tests.faults.killable_worker import ROOT, Worker, paid_order_place
from tests.support.ledger import ledger_balanced
from tests.support.stripe import connect
from tests.support.waiting import wait_until

SECONDS = int(os.environ.get("SOAK_SECONDS", "1800"))
KILL_EVERY = int(os.environ.get("SOAK_KILL_EVERY", "120"))
RATE = float(os.environ.get("SOAK_RATE", "0.5"))
SCARCE = int(os.environ.get("SOAK_SCARCE_STOCK", str(max(10, int(SECONDS * RATE * 0.6)))))
REPORT = os.environ.get("SOAK_REPORT", "")

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(SECONDS + 1200)]


class Load:
    """The buyers and the vendor B who ships: counts what happened."""

    def __init__(self, emulator: Any, vendors: list[Any], variants: list[Any]) -> None:
        self.emulator, self.vendors, self.variants = emulator, vendors, variants
        self.outcomes: Counter[str] = Counter()
        self.shipped = 0
        self.lock = threading.Lock()
        self.latencies: list[float] = []

    def buy(self, n: int) -> None:
        from orders.errors import OutOfStock

        started = time.monotonic()
        try:
            paid_order_place(email=f"soak-{n}@example.com", token=f"soak-{n}", vendors=self.vendors,
                             variants=self.variants)
            outcome = "paid at the gateway"
        except OutOfStock:
            outcome = "refused: sold out"
        except Exception as exc:  # counted and shown: the soak reports, the checks decide
            outcome = f"error: {type(exc).__name__}: {str(exc)[:80]}"
        finally:
            connection.close()
        with self.lock:
            self.outcomes[outcome] += 1
            self.latencies.append(time.monotonic() - started)

    def ship(self) -> None:
        """Vendor B ships every paid order it has a copy of, in full."""
        from fulfillment.models import VendorOrder
        from fulfillment.services import vendor_order_ship

        try:
            with schema_context(self.vendors[1].store.schema_name):
                for vendor_order in VendorOrder.objects.filter(status="new")[:20]:
                    quantities = {line.pk: line.open_quantity for line in vendor_order.lines.all() if line.open_quantity}
                    if quantities:
                        vendor_order_ship(vendor_order_id=vendor_order.pk, quantities=quantities, carrier="DHL",
                                          tracking_number=f"JD{vendor_order.pk:018d}")
                        self.shipped += 1
        except Exception as exc:
            with self.lock:
                self.outcomes[f"shipping error: {type(exc).__name__}"] += 1
        finally:
            connection.close()


def _beat(tmp_path: Path, worker: Worker) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tests.faults.worker", "beat", "--loglevel", "WARNING",
         "--schedule", str(tmp_path / "beat-schedule")],
        cwd=ROOT, env=worker.env, stdout=open(tmp_path / "beat.log", "wb"),
        stderr=subprocess.STDOUT, start_new_session=True,
    )


def _unsettled() -> dict[str, int]:
    """Paid orders whose money to vendors is neither sent nor on a recorded hold."""
    from orders.models import Order, SubOrder
    from payouts.models import Transfer

    paid = Order.objects.filter(paid_at__isnull=False)
    settled = Transfer.objects.filter(status="transferred") | Transfer.objects.filter(
        status__in=["pending", "held"], release_at__isnull=True) | Transfer.objects.exclude(hold_reasons={})
    return {
        "paid sub-orders without a settled transfer": SubOrder.objects.filter(order__in=paid).exclude(
            pk__in=settled.values("sub_order_id")).count(),
        "orders paid at the gateway, not here": Order.objects.filter(
            paid_at__isnull=True, status="pending_payment", payment_intent_id__in=_succeeded_intents()).count(),
    }


def _succeeded_intents() -> list[str]:
    from payments.models import PaymentRecord

    return list(PaymentRecord.objects.filter(status="succeeded").values_list("payment_intent_id", flat=True))


def _reconcile(since: float) -> tuple[bool, str]:
    import io

    out = io.StringIO()
    try:
        call_command("reconcile", "--since", _iso(since - 60), "--until", _iso(time.time() + 60), stdout=out)
        clean = True
    except SystemExit as exc:
        clean = exc.code == 0
    return clean, out.getvalue()[-3000:]


def _iso(epoch: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).isoformat()


def test_soak(emulator: Any, webhooks: Any, vendor_a: Any, vendor_b: Any, tmp_path: Path, settings: Any) -> None:
    from catalog.models import Variant
    from orders.models import OrderLine
    from payments.webhooks import webhook_event_receive
    from payouts.ledger.selectors import unbalanced_entries
    from payouts.transfers import vendor_payout_policy_set
    from tests.factories.orders import sellable_variant

    def intake(delivery: Any) -> None:  # the emulator's signed deliveries reach the real intake
        try:
            webhook_event_receive(payload=delivery.payload, signature=delivery.signature)
        except Exception:
            pass
        finally:
            connection.close()

    webhooks.forward = intake
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    connect(vendor_a, emulator)
    connect(vendor_b, emulator)
    vendor_payout_policy_set(vendor_id=vendor_b.pk, hold_policy="on_shipment")
    lamp = sellable_variant(vendor_a, price=2500, stock=SCARCE, name="Scarce lamp")
    chair = sellable_variant(vendor_b, price=9000, stock=10**6, name="Chair")
    load = Load(emulator, [vendor_a, vendor_b], [lamp, chair])

    started = time.time()
    monotonic_start = time.monotonic()
    markers = f"faults:soak:{connection.settings_dict['NAME']}"
    with Worker(stripe_api_base=emulator.url, markers=markers, log_dir=tmp_path) as worker:
        worker.env["PRIVATE_MEDIA_ROOT"] = str(settings.PRIVATE_MEDIA_ROOT)
        beat = _beat(tmp_path, worker)
        worker.start()
        next_kill = time.monotonic() + KILL_EVERY
        next_ship = time.monotonic() + 5
        with ThreadPoolExecutor(max_workers=6) as pool:
            n = 0
            while time.monotonic() - monotonic_start < SECONDS:
                due = monotonic_start + n / RATE  # open loop: arrivals on a clock, not on answers
                now = time.monotonic()
                if now >= due:
                    pool.submit(load.buy, n)
                    n += 1
                if now >= next_ship:
                    pool.submit(load.ship)
                    next_ship = now + 5
                if now >= next_kill:
                    worker.kill()
                    worker.start()
                    next_kill = now + KILL_EVERY
                    print(f"SOAK {now - monotonic_start:.0f} s: {worker.kills} kills, {dict(load.outcomes)}", flush=True)
                time.sleep(max(0.0, min(due, next_ship, next_kill) - time.monotonic()))  # the load's own clock
        # Drain: the worker stays up, vendor B ships what is left, the beat keeps sweeping.
        def settled() -> bool:
            load.ship()
            return not any(_unsettled().values())

        wait_until(settled, timeout=900, message=f"(unsettled: {_unsettled()}; logs in {tmp_path})")
        os.killpg(beat.pid, 15)
        beat.wait(timeout=30)

    with schema_context(vendor_a.store.schema_name):
        lamp_left = Variant.objects.get(pk=lamp.pk).stock
    lamp_paid = sum(OrderLine.objects.filter(vendor_id=vendor_a.pk, variant_id=lamp.pk, order__paid_at__isnull=False)
                    .values_list("quantity", flat=True))
    clean, reconcile_output = _reconcile(started)
    unsettled = _unsettled()
    latencies = sorted(load.latencies)
    figures = {
        "seconds": SECONDS, "kill_every": KILL_EVERY, "rate_per_s": RATE, "kills": worker.kills,
        "arrivals": sum(load.outcomes.values()), "outcomes": dict(load.outcomes), "shipped": load.shipped,
        "lamp_stock": SCARCE, "lamp_paid": lamp_paid, "lamp_left": lamp_left,
        "oversell": max(0, lamp_paid + lamp_left - SCARCE) if lamp_left >= 0 else -lamp_left,
        "unbalanced_entries": len(unbalanced_entries()), "unsettled": unsettled,
        "reconcile_clean": clean,
        "checkout_p95_s": round(latencies[int(len(latencies) * 0.95)] if latencies else 0, 2),
        "elapsed_s": round(time.monotonic() - monotonic_start),
    }
    print("SOAK figures:", json.dumps(figures))
    if REPORT:
        Path(REPORT).write_text(json.dumps({"soak": figures, "reconcile": reconcile_output}, indent=2))
    assert figures["oversell"] == 0
    assert figures["unbalanced_entries"] == 0 and ledger_balanced()
    assert not any(unsettled.values())
    assert clean, reconcile_output
    assert worker.kills >= (SECONDS - 1) // KILL_EVERY
