"""PgBouncer: PostgreSQL server connections held by 8 web and 8 worker processes, with and
without the pooler (ADR 0061: session pooling, connections returned after each request/task)."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from bench.common import REPO, BenchResult, summary_ms
from bench.http_bench import _free_port, _wait_ready

HOST = "marketplace.localhost"
WEB, WORKERS = 8, 8
POOL_SIZE = 8

# A worker process: what a task does to the database, one vendor schema at a time, connections
# handled as Celery's Django fixup does (closed or kept by CONN_MAX_AGE after each task).
WORKER = """
import sys, time
import django
django.setup()
from django.db import close_old_connections, connection
from django_tenants.utils import schema_context
schemas = sys.argv[1].split(",")
print("ready", flush=True)
stop_at = float(sys.stdin.readline())  # every process starts its loop once all are ready
done = 0
while time.time() < stop_at:
    with schema_context(schemas[done % len(schemas)]):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM catalog_product")
            cursor.execute("SELECT pg_sleep(0.01)")
    close_old_connections()
    done += 1
    time.sleep(0.02)
print(done)
"""


def _server_connections(admin_url: str, application: str) -> int:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application]).fetchone()
        return int(row[0]) if row else 0


def _warm_up(port: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for _ in range(3):
        conn.request("GET", "/", headers={"Host": HOST})
        conn.getresponse().read()


def _run(database_url: str, count: Callable[[], int], application: str, *, seconds: float, conn_max_age: int,
         schemas: list[str]) -> dict[str, Any]:
    sep = "&" if "?" in database_url else "?"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "0",
           "DATABASE_URL": f"{database_url}{sep}application_name={application}",
           "DB_CONN_MAX_AGE": str(conn_max_age)}
    port = _free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-w", str(WEB), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning"], cwd=REPO, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, ",".join(schemas)], cwd=REPO, env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
               for _ in range(WORKERS)]
    try:
        _wait_ready(port, timeout=300)
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        # Warm-up, not timed: each gunicorn worker's first requests load templates and URL confs.
        warm = [threading.Thread(target=_warm_up, args=(port,)) for _ in range(WEB * 2)]
        for thread in warm:
            thread.start()
        for thread in warm:
            thread.join()
        stop_at = time.time() + seconds
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write(f"{stop_at}\n")
            worker.stdin.flush()
        samples: list[float] = []
        errors = [0]
        held: list[int] = []
        lock = threading.Lock()

        def load() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            while time.time() < stop_at:
                started = time.perf_counter()
                try:
                    conn.request("GET", "/", headers={"Host": HOST})
                    response = conn.getresponse()
                    response.read()
                    ok = response.status == 200
                except OSError:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    ok = False
                with lock:
                    if ok:
                        samples.append(time.perf_counter() - started)
                    else:
                        errors[0] += 1
                time.sleep(0.02)  # a little think time: offered load below saturation

        threads = [threading.Thread(target=load) for _ in range(WEB * 2)]
        for thread in threads:
            thread.start()
        while time.time() < stop_at:
            held.append(count())
            time.sleep(0.25)
        for thread in threads:
            thread.join()
        tasks = sum(int((worker.communicate(timeout=120)[0] or "0").strip() or 0) for worker in workers)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=30)
    stats = summary_ms(samples)
    return {"peak": max(held or [0]), "mean": round(sum(held) / max(1, len(held)), 1), "requests": len(samples),
            "errors": errors[0], "tasks": tasks, "p95_ms": stats["p95_ms"]}


def run(*, quick: bool) -> BenchResult:
    from django.db import connection

    from devservices import embedded, pgbouncer
    from tenants.services import public_tenant_ensure, template_schema_ensure

    seconds = 8.0 if quick else 30.0
    result = BenchResult(
        benchmark="PgBouncer: server connections of 8 web and 8 worker processes",
        command=f"python -m bench --only pooling{' --quick' if quick else ''}",
        size={"web_processes": WEB, "worker_processes": WORKERS, "seconds_each": seconds,
              "pool_size": POOL_SIZE, "pool_mode": "session"},
    )
    public_tenant_ensure()
    template_schema_ensure()
    with connection.cursor() as cursor:
        cursor.execute("SELECT schema_name FROM tenants_store WHERE schema_name <> 'public' ORDER BY id LIMIT 8")
        schemas = [row[0] for row in cursor.fetchall()]
    database_url = embedded.database_url()
    direct = _run(database_url, lambda: _server_connections(database_url, "poolbench-direct"), "poolbench-direct",
                  seconds=seconds, conn_max_age=60, schemas=schemas)
    bouncer = pgbouncer.start(database_url, name="bench", pool_size=POOL_SIZE)
    try:
        # The pooler's own view (SHOW SERVERS): its server connections to this database.
        pooled = _run(bouncer.url, bouncer.server_connections, "poolbench-pooled", seconds=seconds,
                      conn_max_age=0, schemas=schemas)
    finally:
        pgbouncer.stop(bouncer)
    result.add("server connections, direct (CONN_MAX_AGE=60), peak", direct["peak"], "connections")
    result.add("server connections through PgBouncer, peak", pooled["peak"], "connections",
               target=f"≤ pool size {POOL_SIZE}", met=pooled["peak"] <= POOL_SIZE)
    result.add("server connections through PgBouncer, mean", pooled["mean"], "connections")
    result.add("home page p95, direct", direct["p95_ms"], "ms")
    result.add("home page p95, through PgBouncer", pooled["p95_ms"], "ms")
    for label, figures in (("direct", direct), ("through PgBouncer", pooled)):
        result.add(f"requests ok / failed / task loops done, {label}",
                   f"{figures['requests']} / {figures['errors']} / {figures['tasks']}", "")
    result.details["runs"] = {"direct": direct, "pgbouncer": pooled}
    result.details["notes"] = [
        "server connections counted in pg_stat_activity every 250 ms; web: gunicorn with 8 sync workers "
        "under 16 client threads on the marketplace home; workers: 8 processes each looping over vendor "
        "schemas as a task does",
        "session pooling (ADR 0061): a client holds a server connection for one request or task, then "
        "PgBouncer resets it (DISCARD ALL) for the next",
    ]
    return result
