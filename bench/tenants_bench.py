"""Tenants: provisioning time per schema and `migrate_schemas` at several schema counts (the
fingerprint executor, ADR 0060, against django-tenants' standard one), projected to 10,000."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import connection

from bench.common import BenchResult, peak_rss_mb, summary_ms
from tenants.db import tenant_connection

# Distinct from every other benchmark's vendors: this module drops every schema it matches.
PREFIX = "tnbench"
PROJECT_TO = 10_000


def _drop_bench_schemas() -> None:
    from tenants.models import Domain, Store

    tenant_connection().set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [f"v_{PREFIX}%"]
        )
        schemas = [row[0] for row in cursor.fetchall()]
        for schema in schemas:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    Domain.objects.filter(tenant__schema_name__startswith=f"v_{PREFIX}").delete()
    Store.objects.filter(schema_name__startswith=f"v_{PREFIX}").delete()


def _provision_many(start: int, stop: int, tag: str) -> list[float]:
    from tenants import services

    samples = []
    for index in range(start, stop):
        started = time.perf_counter()
        store = services.store_create(slug=f"{PREFIX}{tag}{index:05d}", name=f"Bench {index}")
        services.store_provision(store_id=store.pk)
        samples.append(time.perf_counter() - started)
    return samples


def _bench_schemas() -> list[str]:
    from tenants.models import Store

    return list(Store.objects.filter(schema_name__startswith=f"v_{PREFIX}")
                .order_by("schema_name").values_list("schema_name", flat=True))


def _vendor_schema_count() -> int:
    from tenants.models import Store

    return Store.objects.exclude(schema_name="public").count()


def _migrate_noop_seconds(executor: str | None = None, schema: str | None = None) -> float:
    started = time.perf_counter()
    # The whole command a deploy runs: the public schema, then every vendor schema.
    options: dict[str, Any] = {"verbosity": 0}
    if executor:
        options["executor"] = executor
    if schema:
        options.update(schema_name=schema, tenant=True)
    call_command("migrate_schemas", **options)
    tenant_connection().set_schema_to_public()
    return time.perf_counter() - started


def _standard_per_schema(schemas: list[str]) -> float:
    """django-tenants' standard executor on a sample of schemas: seconds per schema."""
    started = time.perf_counter()
    for schema in schemas:
        _migrate_noop_seconds("standard", schema)
    return (time.perf_counter() - started) / max(1, len(schemas))


def _new_migration_modules() -> tuple[Path, dict[str, str | None]]:
    """A copy of catalog's migrations plus one new migration (a column on products), as the next
    deploy would bring; MIGRATION_MODULES points the loader at it."""
    from django.db.migrations.loader import MigrationLoader

    import catalog

    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    leaf = next(name for app, name in graph.leaf_nodes() if app == "catalog")
    root = Path(tempfile.mkdtemp(prefix="tnbench-migrations-"))
    package = root / "tnbench_catalog_migrations"
    shutil.copytree(Path(catalog.__file__).parent / "migrations", package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (package / "9999_bench_note.py").write_text(
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [('catalog', '{leaf}')]\n"
        "    operations = [migrations.AddField('product', 'bench_note', "
        "models.TextField(blank=True, default=''))]\n"
    )
    sys.path.insert(0, str(root))
    from django.conf import settings

    return root, {**settings.MIGRATION_MODULES, "catalog": "tnbench_catalog_migrations"}


def _apply_new_migration(schemas: list[str]) -> tuple[float, str]:
    """Apply the new migration to the bench schemas only (the template and the other benchmarks'
    vendors keep the code's migrations)."""
    from django.test import override_settings

    from tenants.migration_executor import FingerprintExecutor, migration_workers

    root, modules = _new_migration_modules()
    try:
        with override_settings(MIGRATION_MODULES=modules):
            started = time.perf_counter()
            FingerprintExecutor((), {"verbosity": 0, "database": "default"}).run_migrations(tenants=list(schemas))
            seconds = time.perf_counter() - started
    finally:
        sys.path.remove(str(root))
        shutil.rmtree(root, ignore_errors=True)
        tenant_connection().set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM \"{schemas[-1]}\".django_migrations WHERE name = '9999_bench_note'")  # noqa: S608  # nosec B608
        assert cursor.fetchone()[0] == 1, "the new migration was not recorded"
    return seconds, f"{migration_workers()} workers"


def _reused_provisioning() -> list[float]:
    from tenants.models import Store

    return [float(seconds) for seconds in Store.objects.filter(
        schema_name__startswith=f"v_{PREFIX}", status=Store.Status.READY, provisioning_seconds__isnull=False,
    ).order_by("id").values_list("provisioning_seconds", flat=True)]


def _linear(points: list[tuple[int, float]], at: int) -> float:
    """Least-squares line through (schemas, value), evaluated at `at`."""
    if len(points) < 2:
        return points[0][1] * at / max(points[0][0], 1)
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points) or 1.0
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / var
    return mean_y + slope * (at - mean_x)


def run(*, quick: bool) -> BenchResult:
    from django.conf import settings

    from tenants.services import public_tenant_ensure, template_schema_ensure

    count = 20 if quick else int(os.environ.get("BENCH_TENANTS", "1000"))
    checkpoints = sorted({c for c in ((10, 20) if quick else (250, 500, 1000)) if c <= count} | {count})
    sample = 5 if quick else 25
    result = BenchResult(
        benchmark="Tenants: schema provisioning and migrations",
        command=f"python -m bench --only tenants{' --quick' if quick else ''}",
        size={"schemas": count, "curve_at": "/".join(str(c) for c in checkpoints),
              **({"scaled_down_from": "1,000 schemas (BENCH_TENANTS)"} if not quick and count < 1000 else {})},
    )
    public_tenant_ensure()
    reuse = _reused_provisioning() if os.environ.get("BENCH_TENANTS_REUSE") else []
    if reuse:
        # The schemas an interrupted full run provisioned, with the times it recorded
        # (Store.provisioning_seconds): the curve is measured at the size it reached.
        count = len(reuse)
        checkpoints = sorted({c for c in (250, 500, 1000) if c <= count} | {count})
        result.size.update(schemas=count, curve_at="/".join(str(c) for c in checkpoints),
                           provisioning_from="an interrupted 1,000-schema run (BENCH_TENANTS_REUSE)")
    else:
        _drop_bench_schemas()
    template_schema_ensure()
    base = _vendor_schema_count() - (count if reuse else 0)

    curve: list[dict[str, Any]] = []
    made = 0
    for checkpoint in checkpoints:
        samples = reuse[made:checkpoint] if reuse else _provision_many(made, checkpoint, "c")
        made = checkpoint
        # The last stretch before each checkpoint: provisioning at about that many schemas.
        stats = summary_ms(samples[-max(10, len(samples) // 5):])
        row: dict[str, Any] = {"bench_schemas": checkpoint, "vendor_schemas": base + checkpoint,
                               "provision_p50_ms": stats["p50_ms"], "provision_p95_ms": stats["p95_ms"],
                               "migrate_noop_s": None, "migrate_noop_standard_s": None}
        if not reuse or checkpoint == checkpoints[-1]:  # reused schemas all exist already
            row["migrate_noop_s"] = round(_migrate_noop_seconds(), 2)
            standard = _standard_per_schema(_bench_schemas()[-sample:])
            row["migrate_noop_standard_s"] = round(standard * (base + checkpoint), 2)
        curve.append(row)

    last = curve[-1]
    total = last["vendor_schemas"]
    result.add(f"provision one schema p95 at {total} schemas", last["provision_p95_ms"], "ms",
               target="≤ 1,000 ms at 1,000", met=last["provision_p95_ms"] <= 1000 if count >= 1000 else None)
    result.add(f"provision one schema p50 at {total} schemas", last["provision_p50_ms"], "ms")
    result.add(f"migrate_schemas with nothing to do, {total} schemas (before: standard executor)",
               last["migrate_noop_standard_s"], "s",
               note=f"django-tenants' standard executor timed on {sample} schemas, times the schema count")
    result.add(f"migrate_schemas with nothing to do, {total} schemas (after: fingerprint executor)",
               last["migrate_noop_s"], "s", target="≤ 60 s at 1,000",
               met=last["migrate_noop_s"] <= 60 if count >= 1000 else None)

    schemas = _bench_schemas()
    seconds, workers = _apply_new_migration(schemas)
    result.add(f"one new migration across {len(schemas)} schemas", round(seconds, 2), "s",
               target="≤ 90 s at 1,000", met=seconds <= 90 if count >= 1000 else None,
               note=f"an AddField on catalog.Product, fingerprint executor with {workers}")
    per_schema = seconds / max(1, len(schemas))

    points_noop = [(row["vendor_schemas"], row["migrate_noop_s"]) for row in curve if row["migrate_noop_s"] is not None]
    points_p95 = [(row["vendor_schemas"], row["provision_p95_ms"]) for row in curve]
    projection = {
        "migrate_noop_s": round(max(0.0, _linear(points_noop, PROJECT_TO)), 1),
        "new_migration_s": round(per_schema * PROJECT_TO, 1),
        # A noisy curve can slope down; never project below what was measured last.
        "provision_p95_ms": round(max(points_p95[-1][1], _linear(points_p95, PROJECT_TO)), 1),
        "migrate_noop_standard_s": round(curve[-1]["migrate_noop_standard_s"] / total * PROJECT_TO, 1),
    }
    result.add(f"projected at {PROJECT_TO:,} schemas: migrate_schemas with nothing to do",
               projection["migrate_noop_s"], "s", note="least-squares line through the curve")
    result.add(f"projected at {PROJECT_TO:,} schemas: one new migration", projection["new_migration_s"], "s",
               note="measured seconds per schema times 10,000 (each schema's DDL is independent)")
    result.add(f"projected at {PROJECT_TO:,} schemas: provision p95", projection["provision_p95_ms"], "ms",
               note="least-squares line through the curve's p95s")
    result.add("peak RSS of the benchmark process", peak_rss_mb(), "MB")
    result.details["curve"] = curve
    result.details["projection_10000"] = projection
    result.details["notes"] = [
        "curve (vendor schemas: provision p50/p95 ms, migrate no-op s after/before): " + "; ".join(
            f"{row['vendor_schemas']}: {row['provision_p50_ms']:.0f}/{row['provision_p95_ms']:.0f} ms"
            + (f", {row['migrate_noop_s']:.1f}/{row['migrate_noop_standard_s']:.1f} s"
               if row["migrate_noop_s"] is not None else "") for row in curve),
        "provisioning clones the migrated template schema (TENANT_BASE_SCHEMA); migrate_schemas uses "
        "the fingerprint executor (ADR 0060); docs/deployment.md turns the projection into a runbook",
    ]
    result.details["tenant_apps"] = list(settings.TENANT_APPS)
    _drop_bench_schemas()
    return result


def describe() -> dict[str, Any]:
    return {"name": "tenants"}
