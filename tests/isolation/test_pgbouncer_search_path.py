"""Through PgBouncer (ADR 0061): two vendors' requests share one server connection, each sees only
its own schema, and no client finds the search_path another one set.

A process of its own runs the platform against PgBouncer (one server connection, so every request
and every probe reuses the same PostgreSQL backend) with connections closed after each request,
as deployed behind the pooler.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from catalog.models import Product
from devservices import pgbouncer
from tests.factories import ProductFactory

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json
import sys

import django
import psycopg

django.setup()
from django.db import close_old_connections, connection
from django.test import Client

bouncer_url, hosts = sys.argv[1], json.loads(sys.argv[2])
seen = []
for _round in range(3):
    for host, own, other in hosts:
        page = Client(HTTP_HOST=host).get("/").content.decode()
        # What the end of a real request does (the test client leaves it out): with
        # DB_CONN_MAX_AGE=0 the connection goes back to PgBouncer.
        close_old_connections()
        assert connection.connection is None, "the request's connection was kept"
        # The next client on the same server connection: what search_path does it find?
        with psycopg.connect(bouncer_url, autocommit=True) as probe:
            path = probe.execute("SHOW search_path").fetchone()[0]
            backend = probe.execute("SELECT pg_backend_pid()").fetchone()[0]
        seen.append({"host": host, "own": own in page, "other": other in page, "probe_path": path,
                     "backend": backend})
print(json.dumps(seen))
"""


def _url_of(bouncer: pgbouncer.Pgbouncer, database: str) -> str:
    return f"postgresql://{bouncer.user}@127.0.0.1:{bouncer.port}/{database}"


@pytest.mark.django_db(transaction=True)
def test_two_vendors_through_pgbouncer_see_only_their_schema_and_leave_no_search_path(vendor_a, vendor_b):
    database = connection.settings_dict["NAME"]
    host_dir = connection.settings_dict["HOST"] or connection.settings_dict.get("OPTIONS", {}).get("host", "")
    with schema_context(vendor_a.store.schema_name):
        ProductFactory(name="Alpha Storm Lantern")
    with schema_context(vendor_b.store.schema_name):
        ProductFactory(name="Bravo Canyon Kettle")
    bouncer = pgbouncer.start(f"postgresql://{connection.settings_dict['USER']}@/{database}?host={host_dir}",
                              name=f"test-{os.getpid()}", pool_size=1)
    try:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test",
               "DATABASE_URL": _url_of(bouncer, database), "DB_CONN_MAX_AGE": "0"}
        hosts = [[vendor_a.host, "Alpha Storm Lantern", "Bravo Canyon Kettle"],
                 [vendor_b.host, "Bravo Canyon Kettle", "Alpha Storm Lantern"]]
        run = subprocess.run([sys.executable, "-c", SCRIPT, _url_of(bouncer, database), json.dumps(hosts)],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)
        assert run.returncode == 0, run.stderr[-3000:]
        seen = json.loads(run.stdout.strip().splitlines()[-1])
        servers = bouncer.server_connections(database)
    finally:
        pgbouncer.stop(bouncer)
        for vendor in (vendor_a, vendor_b):
            with schema_context(vendor.store.schema_name):
                Product.objects.filter(name__in=["Alpha Storm Lantern", "Bravo Canyon Kettle"]).delete()

    assert len(seen) == 6
    assert all(row["own"] and not row["other"] for row in seen), seen
    # Every probe ran right after a vendor's request on the one server connection, and found the
    # default path: the vendor's schema did not pass to the next client.
    assert {row["backend"] for row in seen} == {seen[0]["backend"]}
    assert {row["probe_path"] for row in seen} == {'"$user", public'}
    assert servers == 1
