"""Tenants: provisioning time per schema (migrations vs cloning a template), migrate_schemas cost."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.db import connection

from bench.common import BenchResult, peak_rss_mb, summary_ms
from tenants.db import tenant_connection

# Distinct from every other benchmark's vendors: this module drops every schema it matches.
PREFIX = "tnbench"


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


def _provision_many(count: int, tag: str) -> list[float]:
    from tenants import services

    samples = []
    for index in range(count):
        started = time.perf_counter()
        store = services.store_create(slug=f"{PREFIX}{tag}{index:05d}", name=f"Bench {index}")
        services.store_provision(store_id=store.pk)
        samples.append(time.perf_counter() - started)
    return samples


def run(*, quick: bool) -> BenchResult:
    import os

    from django.conf import settings
    from django.test import override_settings

    from tenants.services import public_tenant_ensure, template_schema_ensure

    count = 20 if quick else int(os.environ.get("BENCH_TENANTS", "1000"))
    migrated_count = 5 if quick else int(os.environ.get("BENCH_TENANTS_MIGRATED", "20"))
    result = BenchResult(
        benchmark="Tenants: schema provisioning and migrations",
        command=f"python -m bench --only tenants{' --quick' if quick else ''}",
        size={"schemas": count, "provisioned_by_migrations_for_comparison": migrated_count,
              **({"scaled_down_from": "1,000 schemas (BENCH_TENANTS)"} if not quick and count < 1000 else {})},
    )
    public_tenant_ensure()
    _drop_bench_schemas()
    template_schema_ensure()

    # The product's way: the provisioning service clones the migrated template schema.
    cloned = _provision_many(count, "c")
    stats = summary_ms(cloned)
    result.add("provision (product: clone template) p50", stats["p50_ms"], "ms")
    result.add("provision (product: clone template) p95", stats["p95_ms"], "ms")
    tenth = max(1, count // 10)
    result.add(f"provision p50, first {tenth} schemas", summary_ms(cloned[:tenth])["p50_ms"], "ms")
    result.add(f"provision p50, last {tenth} schemas", summary_ms(cloned[-tenth:])["p50_ms"], "ms",
               note="the clone reads pg_catalog, which grows with every schema")

    # The same service running every migration instead, on a sample, for the comparison.
    with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=False):
        migrated = _provision_many(migrated_count, "m")
    migrated_stats = summary_ms(migrated)
    result.add("provision by running migrations p50", migrated_stats["p50_ms"], "ms")
    result.add("provision by running migrations p95", migrated_stats["p95_ms"], "ms")
    faster = "cloning" if stats["p50_ms"] < migrated_stats["p50_ms"] else "migrations"
    ratio = migrated_stats["p50_ms"] / max(stats["p50_ms"], 0.001)
    result.details["notes"] = [
        f"faster method: {faster} ({ratio:.1f}x at p50); the product clones "
        "(TENANT_BASE_SCHEMA with TENANT_CREATION_FAKES_MIGRATIONS)",
    ]

    total = count + migrated_count
    started = time.perf_counter()
    call_command("migrate_schemas", verbosity=0)
    noop = time.perf_counter() - started
    result.add(f"migrate_schemas with nothing to do ({total}+ schemas)", round(noop, 2), "s")

    # One new column across every schema, applied per schema the way a migration would be.
    from tenants.models import Store

    schemas = list(
        Store.objects.filter(schema_name__startswith=f"v_{PREFIX}").values_list("schema_name", flat=True)
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(
                f'ALTER TABLE "{schema}"."catalog_product" ADD COLUMN IF NOT EXISTS bench_note text'
            )
    add_column = time.perf_counter() - started
    result.add(f"add one column across {len(schemas)} schemas", round(add_column, 2), "s",
               note="ALTER TABLE per schema in one connection, as a migration does per schema")
    result.add("peak RSS of the benchmark process", peak_rss_mb(), "MB")
    result.details["tenant_apps"] = list(settings.TENANT_APPS)
    _drop_bench_schemas()
    return result


def describe() -> dict[str, Any]:
    return {"name": "tenants"}
