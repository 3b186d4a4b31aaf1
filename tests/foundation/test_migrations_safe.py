"""Migrations run while the previous release still serves traffic (docs/deployment.md: expand
first, contract later). A column added to an existing table must therefore accept the old code's
INSERTs, which do not name it: it is nullable or has a database default."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.migrations.loader import MigrationLoader

# Shipped in the first release together with the 0001 migrations that create their tables: no
# earlier release ever wrote to those tables, so nothing ran without these columns.
FIRST_RELEASE = {"vendors.0002_vendor_onboarding_error_and_more", "catalog.0002_variants_stock_images_outbox"}
PROJECT_APPS = {"accounts", "tenants", "vendors", "catalog", "marketplace", "orders", "fulfillment",
                "payments", "payouts", "disputes", "common", "frontend", "storefront"}


def _added_fields() -> list[tuple[str, str, str, Any]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)  # files only, no database
    found: list[tuple[str, str, str, Any]] = []
    for (app, name), migration in loader.disk_migrations.items():
        if app not in PROJECT_APPS or getattr(migration, "initial", False) or f"{app}.{name}" in FIRST_RELEASE:
            continue  # an initial migration creates its tables: no old code writes to them yet
        created = {op.name_lower for op in migration.operations if isinstance(op, migrations.CreateModel)}
        for operation in migration.operations:
            if isinstance(operation, migrations.AddField) and operation.model_name_lower not in created:
                found.append((f"{app}.{name}", operation.model_name, operation.name, operation.field))
    return found


def test_added_columns_accept_inserts_from_the_release_still_running() -> None:
    added = _added_fields()
    assert any(name == "failed_payment_attempts" for _m, _model, name, _f in added)  # the scan sees them
    unsafe = [
        f"{migration}: {model}.{name}" for migration, model, name, field in added
        if not field.null and not field.has_db_default() and not field.many_to_many
    ]
    assert unsafe == [], "add db_default= (or null=True) so the running release can still insert"
