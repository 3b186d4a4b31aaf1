"""`python -m bench [--quick] [--only a,b]`: run the benchmarks and write docs/benchmarks.md."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback

BENCHMARKS = ["tenants", "search", "projection", "checkout", "webhooks", "finance", "http", "rls", "pages", "pooling",
              "analytics", "recommendations"]


def _forget_orphan_stores() -> None:
    """A run interrupted mid-provisioning leaves a bench Store whose schema does not exist, which
    would stop `migrate_schemas`; drop those records (bench prefixes only)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.id FROM tenants_store s LEFT JOIN pg_namespace n ON n.nspname = s.schema_name "
            "WHERE n.oid IS NULL AND (s.schema_name LIKE 'v_bench%%' OR s.schema_name LIKE 'v_pjbench%%' "
            "OR s.schema_name LIKE 'v_tnbench%%')")
        ids = [row[0] for row in cursor.fetchall()]
        if ids:
            cursor.execute("UPDATE vendors_vendor SET store_id = NULL WHERE store_id = ANY(%s)", [ids])
            cursor.execute("DELETE FROM tenants_domain WHERE tenant_id = ANY(%s)", [ids])
            cursor.execute("DELETE FROM tenants_store WHERE id = ANY(%s)", [ids])


_RUN_LOCK: list[object] = []


def _run_lock() -> bool:
    """One run per database at a time: a second one would take the first's half-provisioned
    stores for orphans (and both runs' figures would measure each other). A connection of its own
    holds the lock for the life of the process; benchmarks close Django's connections at will."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    conn = psycopg.connect(**params, autocommit=True)
    row = conn.execute("SELECT pg_try_advisory_lock(7100000001)").fetchone()
    _RUN_LOCK.append(conn)
    return bool(row and row[0])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    args = parser.parse_args(argv)
    # Benchmarks use their own database so they never touch the development data.
    os.environ.setdefault("MARKETPLACE_DB_NAME", "marketplace_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DJANGO_DEBUG"] = "0"
    # Workers the benchmarks start use their own Valkey databases (50-60) and ports, so no other
    # test run's worker consumes their tasks.
    os.environ.setdefault("WEBHOOK_BENCH_BROKER_DB", "55")
    os.environ.setdefault("PROJECTION_BENCH_BROKER_DB", "56")
    os.environ.setdefault("WEBHOOK_BENCH_PORT", "8182")
    from urllib.parse import urlsplit

    from devservices import embedded

    broker = urlsplit(embedded.redis_url())._replace(path="/56").geturl()
    os.environ.setdefault("CELERY_BROKER_URL", broker)
    os.environ.setdefault("CELERY_RESULT_BACKEND", broker)
    wanted = [name for name in (args.only.split(",") if args.only else BENCHMARKS) if name]
    if "search" in wanted:
        from bench import replica_lag

        replica_lag.configure()  # search reads through a real streaming replica (ADR 0062)
    import django

    django.setup()
    from django.core.management import call_command

    from bench.common import write_results

    if not _run_lock():
        print("[bench] another benchmark run is using this database; wait for it to finish", file=sys.stderr)
        return 2
    call_command("migrate_schemas", "--shared", verbosity=0)
    _forget_orphan_stores()
    call_command("migrate", verbosity=0)
    results = []
    failures = 0
    for name in wanted:
        try:
            module = importlib.import_module(f"bench.{name}_bench")
        except ModuleNotFoundError:
            print(f"[bench] {name}: not available yet", flush=True)
            continue
        print(f"[bench] {name} …", flush=True)
        started = time.perf_counter()
        try:
            result = module.run(quick=args.quick)
        except Exception:  # noqa: BLE001 - report and go on with the other benchmarks
            traceback.print_exc()
            failures += 1
            continue
        result.seconds = time.perf_counter() - started
        result.details["key"] = name
        results.append(result)
        for fig in result.figures:
            print(f"    {fig.name}: {fig.value} {fig.unit} {fig.target}", flush=True)
    stem = "benchmarks-quick" if args.quick else "benchmarks"
    path = write_results(results, quick=args.quick, path_stem=stem, order=BENCHMARKS)
    print(f"[bench] wrote {path}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
