"""With DATABASE_REPLICA_URL set, the marketplace's listing reads (search, facets, autocomplete,
product page) go to the replica and nothing of them to the primary.

The suite itself runs on one connection, so this runs a process of its own with the replica
configured: a real streaming hot standby of the embedded PostgreSQL (devservices/replica.py, ADR
0062), read-only by nature (a write through it would fail), waited on until it has replayed the
test's data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from devservices import replica
from tests.factories import VendorFactory
from tests.marketplace.helpers import make_listing

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json

import django

django.setup()
from django.db import connections
from django.test.utils import CaptureQueriesContext

from marketplace import search, selectors
from marketplace.search import SearchParams

assert set(connections.settings) == {"default", "replica"}, sorted(connections.settings)
with CaptureQueriesContext(connections["default"]) as primary, \\
        CaptureQueriesContext(connections["replica"]) as replica:
    page = search.search(SearchParams(q="backpak"))  # a typo: the spelling correction runs too
    suggestions = search.suggest("trai")
    listing = selectors.listing_visible(listing_id=page.results[0].pk)
    featured = [item.title for item in selectors.listings_featured()]
with connections["replica"].cursor() as cursor:
    cursor.execute("SHOW transaction_read_only")
    read_only = cursor.fetchone()[0]
    cursor.execute("SELECT pg_is_in_recovery()")
    in_recovery = cursor.fetchone()[0]
from common.health import health_report

health = health_report()
print(json.dumps({
    "titles": [item.title for item in page.results], "corrected": page.corrected_q,
    "suggestions": suggestions, "listing": listing.title, "featured": featured,
    "primary_queries": [q["sql"] for q in primary.captured_queries],
    "replica_queries": len(replica.captured_queries), "replica_read_only": read_only, "health": health,
    "replica_in_recovery": in_recovery,
}))
"""


def _url(settings_dict: dict, **query: str) -> str:
    host = settings_dict["HOST"] or settings_dict.get("OPTIONS", {}).get("host", "")
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") and not host.startswith("/") else ""
    auth = settings_dict["USER"] + (f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else "")
    params = "&".join(f"{key}={value}" for key, value in query.items())
    if host.startswith("/"):
        return f"postgresql://{auth}@/{settings_dict['NAME']}?host={host}" + (f"&{params}" if params else "")
    return f"postgresql://{auth}@{host}{port}/{settings_dict['NAME']}" + (f"?{params}" if params else "")


@pytest.mark.django_db(transaction=True)
def test_listing_reads_go_to_the_replica_and_none_to_the_primary():
    acme = VendorFactory(slug="acme", name="Acme Outdoor")
    make_listing(acme, "Trail Backpack 30L", price=8900)
    make_listing(acme, "Merino Hiking Socks", price=1900)
    replica_url = replica.replica_url(connection.settings_dict["NAME"])
    replica.replica_catch_up(_url(connection.settings_dict), replica_url)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _url(connection.settings_dict),
        # A hot standby: were anything written through the replica alias, it would fail.
        "DATABASE_REPLICA_URL": replica_url,
        "TEST_READ_REPLICA": "1",
    }
    run = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=180, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["titles"] == ["Trail Backpack 30L"] and out["corrected"] == "backpack"
    assert out["suggestions"] == ["Trail Backpack 30L"]
    assert out["listing"] == "Trail Backpack 30L"
    assert set(out["featured"]) == {"Trail Backpack 30L", "Merino Hiking Socks"}
    assert out["replica_read_only"] == "on" and out["replica_in_recovery"] is True
    assert out["replica_queries"] > 0
    assert out["primary_queries"] == []
    # /healthz checks the replica too: search depends on it.
    assert out["health"]["checks"]["database_replica"] == "ok" and out["health"]["status"] == "ok"


def test_without_a_replica_reads_stay_on_the_primary(settings):
    from common.databases import replica_alias

    assert "replica" not in settings.DATABASES
    assert replica_alias() == "default"
