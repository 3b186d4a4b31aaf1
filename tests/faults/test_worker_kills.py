"""kill -9 of the Celery worker while webhook applies, transfers, imports and exports are in flight.

Each round queues fresh work of one kind, starts a real worker (its own process group, prefork,
the project's tasks), waits until the worker announces it is paused at that kind's riskiest point
(tests/faults/worker.py) and SIGKILLs it. The next worker gets the killed worker's messages back
from the broker (late acknowledgement; visibility timeout shortened for the test). At the end a
worker without pauses runs what is left, the beat's sweeps are sent once as the beat would, and
the test counts: nothing lost, no side effect twice (Stripe transfers, ledger entries, export
files, imported rows), the ledger balanced.

`FAULTS_KILLS` sets the number of kills (default 4, one per kind: the bounded version run by
`make test`); `make faults` runs 100, half of them at random moments instead of the pauses.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tenants.utils import schema_context

from catalog.csv_io import COLUMNS
from config.celery import app
from tests.faults.killable_worker import Worker, paid_order_place
from tests.support.ledger import ledger_balanced
from tests.support.stripe import connect, flush
from tests.support.waiting import wait_until

KINDS = ("webhook", "transfer", "import", "export")
KILLS = int(os.environ.get("FAULTS_KILLS", "4"))

# A worker start, some work and a kill take about ten seconds a round on this machine.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300 + 30 * KILLS)]
LONG = len(KINDS) < KILLS
IMPORT_ROWS = 40  # four chunks of ten in the fault worker
REPORT = os.environ.get("FAULTS_REPORT", "")


class Work:
    """What the test queued, to count against what happened."""

    def __init__(self, emulator: Any, webhooks: Any, vendors: list[Any], finance: Any) -> None:
        self.emulator, self.webhooks, self.vendors, self.finance = emulator, webhooks, vendors, finance
        self.orders: list[int] = []
        self.imports: list[int] = []
        self.exports: list[int] = []
        self.variants = [self._variant(v) for v in vendors]
        self.seen_deliveries: set[str] = set()

    def _variant(self, vendor: Any) -> Any:
        from tests.factories.orders import sellable_variant

        return sellable_variant(vendor, price=1500, stock=10_000)

    def queue(self, kind: str) -> None:
        if kind in ("webhook", "transfer"):
            self.order()
        elif kind == "import":
            self.csv_import()
        else:
            self.export()

    def order(self) -> None:
        """A paid order of both vendors: its webhook is stored and its apply task queued."""
        from payments.webhooks import webhook_event_receive

        # A buyer per order: a killed round leaves orders unpaid for a while, and a buyer may hold
        # only a few of those (ORDERS_MAX_UNPAID_PER_BUYER).
        order = paid_order_place(email=f"faults-{len(self.orders)}@example.com",
                                 token=f"faults-{len(self.orders)}", vendors=self.vendors, variants=self.variants)
        flush(self.emulator)
        delivery = wait_until(lambda: [d for d in self.webhooks.of_type("payment_intent.succeeded")
                                       if d.event["data"]["object"]["id"] == order.payment_intent_id],
                              message="payment webhook")[0]
        webhook_event_receive(payload=delivery.payload, signature=delivery.signature)  # queues the apply
        self.orders.append(order.pk)

    def csv_import(self) -> None:
        from catalog.services import csv_import_start

        n = len(self.imports)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for row in range(IMPORT_ROWS):
            writer.writerow([f"imp{n}-{row}", f"Imported {n}-{row}", "active", "", "", "", f"IMP{n}-{row:03d}",
                             "", "9.50", "", "EUR", "3", "100"])
        with schema_context(self.vendors[0].store.schema_name):
            job = csv_import_start(upload=SimpleUploadedFile("faults.csv", out.getvalue().encode()))
        self.imports.append(job.pk)

    def export(self) -> None:
        from django.utils import timezone

        from payouts import exports

        today = timezone.now().date()
        # A period per export, so each request is a new job (the same one would be reused).
        start = today.replace(day=1) - dt.timedelta(days=len(self.exports))
        job, _created = exports.export_request(kind="payout_report", fmt="csv", user=self.finance,
                                               params={"date_from": start.isoformat(), "date_to": today.isoformat()})
        self.exports.append(job.pk)


def _sweeps() -> None:
    """What the beat sends on its schedule (config/settings/base.py), once."""
    for name in ("payments.tasks.webhook_events_requeue_stuck", "payouts.tasks.transfers_release_due",
                 "payouts.tasks.export_jobs_requeue_stalled", "catalog.tasks.csv_imports_requeue_stalled"):
        app.send_task(name)


def _settled(work: Work) -> dict[str, int]:
    """What is still missing (0 everywhere once the work is done)."""
    from catalog.models import CsvImport
    from orders.models import Order, SubOrder
    from payouts.models import ExportJob, Transfer

    with schema_context(work.vendors[0].store.schema_name):
        imports = CsvImport.objects.filter(pk__in=work.imports).exclude(status="done").count()
    return {
        "orders not paid": Order.objects.filter(pk__in=work.orders, paid_at__isnull=True).count(),
        "sub-orders without a sent transfer": SubOrder.objects.filter(order_id__in=work.orders).exclude(
            pk__in=Transfer.objects.filter(status="transferred").values("sub_order_id")).count(),
        "imports not done": imports,
        "exports not done": ExportJob.objects.filter(pk__in=work.exports).exclude(status="done").count(),
    }


def _doubled(work: Work) -> dict[str, int]:
    """Side effects that happened more than once."""
    from catalog.models import Product, Variant
    from payouts.exports import export_storage
    from payouts.models import ExportJob, JournalEntry, Transfer

    stripe_transfers = Counter(t["metadata"].get("sub_order_id") for t in work.emulator.store.all("transfer"))
    ledger = Counter(JournalEntry.objects.filter(kind__in=["transfer", "payment_captured"])
                     .values_list("kind", "reference_id"))
    storage = export_storage()
    _dirs, files = storage.listdir("")
    per_job = Counter(next((j for j in ExportJob.objects.filter(pk__in=work.exports)
                            if f.startswith(f"{j.kind}-{j.pk}-") or f.startswith(f"{j.kind}-{j.pk}.")), None)
                      for f in files)
    with schema_context(work.vendors[0].store.schema_name):
        skus = Counter(Variant.objects.filter(sku__startswith="IMP").values_list("sku", flat=True))
        products = Product.objects.filter(handle__startswith="imp").count()
    return {
        "stripe transfers per sub-order": sum(n - 1 for n in stripe_transfers.values() if n > 1),
        "stripe transfers without a Transfer row": len(set(stripe_transfers) - {
            str(s) for s in Transfer.objects.values_list("sub_order_id", flat=True)}),
        "ledger entries": sum(n - 1 for n in ledger.values() if n > 1),
        "transfer entries vs transfers": abs(JournalEntry.objects.filter(kind="transfer").count()
                                             - Transfer.objects.filter(status="transferred").count()),
        "export files": sum(n - 1 for job, n in per_job.items() if job is not None and n > 1),
        "imported variants": sum(n - 1 for n in skus.values() if n > 1)
        + abs(len(skus) - IMPORT_ROWS * len(work.imports)),
        "imported products": abs(products - IMPORT_ROWS * len(work.imports)),
    }


def _duplicate_transfers(emulator: Any) -> dict[str, list[dict[str, Any]]]:
    """Per sub-order sent more than once: each Stripe transfer with the request that made it."""
    made = {e["data"]["object"]["id"]: e.get("request") for e in emulator.store.all("event")
            if e.get("type") == "transfer.created"}
    by_sub_order: dict[str, list[dict[str, Any]]] = {}
    for transfer in emulator.store.all("transfer"):
        by_sub_order.setdefault(transfer["metadata"].get("sub_order_id"), []).append(
            {"id": transfer["id"], "amount": transfer["amount"], "created": transfer["created"],
             "request": made.get(transfer["id"])})
    return {sub: found for sub, found in by_sub_order.items() if len(found) > 1}


@pytest.fixture
def work(emulator: Any, webhooks: Any, vendor_a: Any, vendor_b: Any, finance_user: Any, tmp_path: Path,
         settings: Any) -> Work:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"  # the worker's too (below): one export folder per run
    connect(vendor_a, emulator)
    connect(vendor_b, emulator)
    return Work(emulator, webhooks, [vendor_a, vendor_b], finance_user)


def test_kill_9_mid_task_loses_and_doubles_nothing(work: Work, emulator: Any, tmp_path: Path) -> None:
    from django.conf import settings

    rng = random.Random(int(os.environ.get("FAULTS_SEED", "20")))
    started = time.monotonic()
    markers = f"faults:inflight:{connection.settings_dict['NAME']}"
    killed: Counter[str] = Counter()
    with Worker(stripe_api_base=emulator.url, markers=markers, log_dir=tmp_path) as worker:
        worker.env["PRIVATE_MEDIA_ROOT"] = str(settings.PRIVATE_MEDIA_ROOT)
        for round_ in range(KILLS):
            kind = KINDS[round_ % len(KINDS)]
            if LONG and (round_ // len(KINDS)) % 2:  # every other pass over the kinds
                # A random moment instead of a pause: wherever the worker happens to be.
                work.queue(kind)
                worker.start()
                time.sleep(rng.uniform(3.0, 9.0))  # the fault's timing, not a wait for work
                worker.kill()
                killed["random"] += 1
                continue
            worker.start(pause_at=kind)
            work.queue(kind)
            marker = worker.wait_marker()
            worker.kill()
            killed[marker.split(":")[0]] += 1
            if LONG and worker.kills % 10 in (0, 1):
                print(f"FAULTS progress: {worker.kills} kills in {time.monotonic() - started:.0f} s", flush=True)
        # Recovery: a worker without pauses, the killed workers' messages back after the
        # visibility timeout, and the beat's sweeps once.
        worker.start()
        _sweeps()
        with contextlib.suppress(AssertionError):  # what is missing is counted and reported below
            wait_until(lambda: not any(_settled(work).values()), timeout=120 + 2 * KILLS)
        worker.stop()

    lost, doubled = _settled(work), _doubled(work)
    figures = {
        "kills": worker.kills, "killed_at": dict(killed), "orders": len(work.orders),
        "sub_orders": 2 * len(work.orders), "imports": len(work.imports), "exports": len(work.exports),
        "lost": sum(lost.values()), "doubled": sum(doubled.values()), "ledger_balanced": ledger_balanced(),
        "seconds": round(time.monotonic() - started, 1),
    }
    print("FAULTS worker kills:", json.dumps(figures))
    print("FAULTS doubled Stripe transfers:", json.dumps(_duplicate_transfers(work.emulator)), f"(logs in {tmp_path})")
    if REPORT:
        Path(REPORT).write_text(json.dumps({"worker_kills": figures, "lost": lost, "doubled": doubled}, indent=2))
    assert worker.kills == KILLS
    if not LONG:
        assert killed == Counter(KINDS), "each kind of work was killed mid-flight once"
    assert not any(lost.values()), lost
    assert not any(doubled.values()), doubled
    assert figures["ledger_balanced"]
