"""The streaming replica the search benchmark reads through (ADR 0062): whether reads go to it,
and its replication lag after a bulk load and for single commits."""

from __future__ import annotations

import os

from bench.common import BenchResult, summary_ms


def configure() -> None:
    """Before Django starts: a real hot standby as DATABASE_REPLICA_URL, unless one is set."""
    if os.environ.get("DATABASE_REPLICA_URL"):
        return
    from devservices import replica

    os.environ["DATABASE_REPLICA_URL"] = replica.replica_url(os.environ.get("MARKETPLACE_DB_NAME"))


def _urls() -> tuple[str, str] | None:
    from django.db import connections

    if "replica" not in connections.settings:
        return None

    def url(alias: str) -> str:
        params = connections[alias].settings_dict
        host = params["HOST"] or params.get("OPTIONS", {}).get("host", "")
        if host.startswith("/"):
            return f"postgresql://{params['USER']}@/{params['NAME']}?host={host}"
        auth = params["USER"] + (f":{params['PASSWORD']}" if params.get("PASSWORD") else "")
        return f"postgresql://{auth}@{host}:{params['PORT'] or 5432}/{params['NAME']}"

    return url("default"), url("replica")


def after_bulk_load(result: BenchResult) -> None:
    """Wait for the replica to replay a bulk load (the seed), and record how long that took."""
    from devservices.replica import replica_catch_up

    urls = _urls()
    if urls is None:
        result.details.setdefault("notes", []).append("no replica configured: reads ran on the primary")
        return
    seconds = replica_catch_up(*urls, timeout=600)
    result.add("replica caught up after the seed", round(seconds, 2), "s",
               note="streaming hot standby (pg_basebackup -R); search reads below ran on it")


def lag(result: BenchResult, probes: int = 20) -> None:
    """Replication lag of a single durable commit, measured `probes` times."""
    from devservices.replica import replica_catch_up

    urls = _urls()
    if urls is None:
        return
    stats = summary_ms([replica_catch_up(*urls) for _ in range(probes)])
    result.add("replication lag of one commit p50", stats["p50_ms"], "ms")
    result.add("replication lag of one commit p95", stats["p95_ms"], "ms",
               note="commit on the primary until the replica has replayed it (pg_last_wal_replay_lsn)")
