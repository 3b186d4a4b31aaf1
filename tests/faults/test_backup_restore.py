"""The backup and the restore drill: every schema backed up, restored into a fresh PostgreSQL, and
the restored copy's ledger and gateway objects reconcile; a restore that lost rows is caught."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from devservices import backup
from payouts import transfers as svc
from payouts.models import JournalEntry, Posting
from tests.factories.orders import sellable_variant
from tests.support.stripe import WEBHOOK_SECRET, WebhookCapture, deliver, flush

pytestmark = pytest.mark.django_db(transaction=True)


def _database_url() -> str:
    """The test database's URL (pytest-django's copy, on the embedded server)."""
    return backup.database_url_with(os.environ["DATABASE_URL"], database=connection.settings_dict["NAME"])


@pytest.fixture
def settled(paid_order: Any, vendor_a: Any, vendor_b: Any, connected: Any, emulator: Any,
            webhooks: WebhookCapture) -> Any:
    """A paid two-vendor order with both transfers out: charges, transfers and ledger entries in
    the public schema, fulfilment copies in both vendor schemas, every webhook received."""
    va = sellable_variant(vendor_a, price=1500, stock=10)
    vb = sellable_variant(vendor_b, price=900, stock=10)
    order = paid_order((vendor_a, va, 2), (vendor_b, vb, 1))
    svc.transfers_create_for_order(order_id=order.pk)
    svc.transfers_release_due()
    flush(emulator)
    for delivery in list(webhooks.deliveries):
        deliver(delivery)
    return order


@pytest.fixture
def drill_env(emulator: Any) -> dict[str, str]:
    """The reconciliation subprocesses talk to this test's emulator, as the platform did."""
    return {"STRIPE_API_BASE": emulator.url, "STRIPE_SECRET_KEY": "", "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}


def test_backup_restores_every_schema_and_the_restored_ledger_reconciles(
    settled: Any, tmp_path: Path, drill_env: dict[str, str], vendor_a: Any, vendor_b: Any,
) -> None:
    source = tmp_path / "backup"
    manifest = backup.backup_create(database_url=_database_url(), target=source)

    assert {"public", vendor_a.store.schema_name, vendor_b.store.schema_name} <= set(manifest.schemas)
    assert manifest.rows["public.payouts_posting"] == Posting.objects.count() > 0
    assert manifest.rows["public.orders_order"] == 1
    assert manifest.rows[f"{vendor_a.store.schema_name}.fulfillment_vendororder"] == 1

    report = backup.restore_drill(source=source, env=drill_env)

    assert report.differences == [] and report.ok, report
    ledger = report.checks["ledger"]
    assert ledger["ok"] and ledger["checked"]["charge"] == 1 and ledger["checked"]["transfer"] == 2
    assert report.checks["objects"]["mismatches"] == []
    assert set(report.steps) == {"server_start", "restore", "compare", "reconcile"}
    print(f"backup: {len(manifest.schemas)} schemas, {len(manifest.rows)} tables, {sum(manifest.rows.values())} rows, "
          f"{manifest.dump_bytes} bytes in {manifest.seconds} s; drill {report.seconds} s {report.steps}")

    # A copy that lacks rows must not pass: the drill's comparison, run against a database that
    # has one journal entry fewer than the manifest says were backed up, names the table.
    tampered = backup.manifest_read(source)
    tampered.rows["public.payouts_journalentry"] = JournalEntry.objects.count() + 1
    differences = backup.restored_compare(manifest=tampered, url=_database_url())
    assert differences == [f"public.payouts_journalentry: {JournalEntry.objects.count() + 1} rows backed up, "
                           f"{JournalEntry.objects.count()} restored"]
