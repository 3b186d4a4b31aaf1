"""Tenants: provisioning time per schema (migrations vs cloning a template), migrate_schemas cost."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.db import connection

from bench.common import BenchResult, peak_rss_mb, summary_ms

PREFIX = "bench"


def _drop_bench_schemas() -> None:
    from tenants.models import Domain, Store

    connection.set_schema_to_public()
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

    from tenants.services import public_tenant_ensure

    count = 20 if quick else int(os.environ.get("BENCH_TENANTS", "1000"))
    clone_count = 20 if quick else min(200, count)
    result = BenchResult(
        benchmark="Tenants: schema provisioning and migrations",
        command=f"python -m bench --only tenants{' --quick' if quick else ''}",
        size={"schemas": count, "cloned_schemas": clone_count,
              **({"scaled_down_from": "1,000 schemas (BENCH_TENANTS)"} if not quick and count < 1000 else {})},
    )
    public_tenant_ensure()
    _drop_bench_schemas()

    migrate_samples = _provision_many(count, "m")
    stats = summary_ms(migrate_samples)
    result.add("provision by migrations p50", stats["p50_ms"], "ms")
    result.add("provision by migrations p95", stats["p95_ms"], "ms")

    started = time.perf_counter()
    call_command("migrate_schemas", verbosity=0)
    noop = time.perf_counter() - started
    result.add(f"migrate_schemas with nothing to do ({count + 2}+ schemas)", round(noop, 2), "s")

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

    # Cloning a migrated template schema (django-tenants' clone_schema).
    clone_samples = _clone_many(clone_count)
    if clone_samples:
        clone_stats = summary_ms(clone_samples)
        result.add("provision by cloning template p50", clone_stats["p50_ms"], "ms")
        result.add("provision by cloning template p95", clone_stats["p95_ms"], "ms")
        faster = "cloning" if clone_stats["p50_ms"] < stats["p50_ms"] else "migrations"
        result.details["notes"] = [f"faster method at this size: {faster}"]
    result.add("peak RSS of the benchmark process", peak_rss_mb(), "MB")
    result.details["tenant_apps"] = list(settings.TENANT_APPS)
    _drop_bench_schemas()
    return result


def _clone_many(count: int) -> list[float]:
    from django_tenants.clone import CloneSchema

    from tenants import services

    template = f"v_{PREFIX}template"
    store = services.store_create(slug=f"{PREFIX}template", name="Template")
    services.store_provision(store_id=store.pk)
    cloner = CloneSchema()
    samples: list[float] = []
    for index in range(count):
        target = f"v_{PREFIX}c{index:05d}"
        started = time.perf_counter()
        cloner.clone_schema(template, target, set_connection=False)
        samples.append(time.perf_counter() - started)
    return samples


def describe() -> dict[str, Any]:
    return {"name": "tenants"}
