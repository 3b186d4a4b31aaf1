"""A streaming hot standby of the embedded PostgreSQL, under `.local/pg-replica` (ADR 0062).

Made once with `pg_basebackup -R` (which writes `standby.signal` and `primary_conninfo`) and then
started like the primary, as a daemon that outlives the process; reused while it streams from the
primary it was made from. The replica-routing test and the search benchmark read through it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

from devservices import embedded

REPLICA_DIR = embedded.LOCAL_DIR / "pg-replica"
PRIMARY_DIR = embedded.LOCAL_DIR / "pg"


def _uri(pgdata: Path, database: str) -> str:
    return f"postgresql://postgres@/{database}?host={quote(str(pgdata), safe='/')}"


def _system_id(uri: str) -> int | None:
    import psycopg

    try:
        with psycopg.connect(uri, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("SELECT system_identifier FROM pg_control_system()").fetchone()
            return int(row[0]) if row else None
    except psycopg.OperationalError:
        return None


def _streaming(uri: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(uri, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("SELECT pg_is_in_recovery(), status FROM pg_stat_wal_receiver").fetchone()
    except psycopg.OperationalError:
        return False
    return bool(row and row[0] and row[1] == "streaming")


def replica_url(database: str | None = None) -> str:
    """The replica's URL for `database` (default: the primary's), making and starting it if needed."""
    primary = embedded.database_url()
    database = database or primary.split("?")[0].rsplit("/", 1)[-1]
    with embedded._lock("pg-replica"):
        primary_admin = _uri(PRIMARY_DIR, "postgres")
        replica_admin = _uri(REPLICA_DIR, "postgres")
        if (REPLICA_DIR / "PG_VERSION").exists():
            if not (REPLICA_DIR / "postmaster.pid").exists():
                embedded.postgres_start(REPLICA_DIR)
            if _system_id(replica_admin) != _system_id(primary_admin):
                _replica_remove()  # made from another primary (a wiped .local): make it again
        if not (REPLICA_DIR / "PG_VERSION").exists():
            _replica_make()
            embedded.postgres_start(REPLICA_DIR)
        deadline = time.monotonic() + 60
        while not _streaming(replica_admin):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the replica does not stream; see {REPLICA_DIR / 'log'}")
            time.sleep(0.1)
    return _uri(REPLICA_DIR, database)


def _replica_make() -> None:
    REPLICA_DIR.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [embedded.postgres_bin("pg_basebackup"), "-D", str(REPLICA_DIR), "-d", _uri(PRIMARY_DIR, "postgres"),
         "-R", "-X", "stream", "-c", "fast"],
        check=True, capture_output=True, timeout=600,
    )
    # The primary keeps its socket's lock file and its log in its folder: not the replica's.
    for path in [*REPLICA_DIR.glob(".s.PGSQL.*"), REPLICA_DIR / "log"]:
        path.unlink(missing_ok=True)
    # A hot standby: read-only queries while it replays; it must not archive or claim a socket
    # the primary uses (its socket lives in its own folder, as the primary's does).
    with (REPLICA_DIR / "postgresql.auto.conf").open("a") as conf:
        conf.write("hot_standby = on\nhot_standby_feedback = on\nmax_standby_streaming_delay = 30s\n")
    if os.geteuid() == 0:
        for path in [REPLICA_DIR, *REPLICA_DIR.rglob("*")]:
            shutil.chown(path, user="embedded_postgres")
    REPLICA_DIR.chmod(0o700)


def _replica_remove() -> None:
    replica_stop()
    shutil.rmtree(REPLICA_DIR, ignore_errors=True)


def replica_stop() -> None:
    if (REPLICA_DIR / "postmaster.pid").exists():
        with contextlib.suppress(subprocess.CalledProcessError):
            embedded.postgres_stop(REPLICA_DIR)


def replica_catch_up(primary_uri: str, replica_uri: str, *, timeout: float = 60) -> float:
    """Commit a WAL record on the primary and wait until the replica has replayed it; returns the
    seconds that took (the replication lag of a commit made now)."""
    import psycopg

    with psycopg.connect(primary_uri, autocommit=True) as conn:
        # A durable commit (the platform's default is asynchronous commit): the WAL is flushed and
        # sent at once, so this measures streaming and replay, not the WAL writer's delay.
        conn.execute("SET synchronous_commit = on")
        started = time.perf_counter()
        row = conn.execute("SELECT pg_logical_emit_message(true, 'replica-lag', 'probe')").fetchone()
    assert row is not None
    lsn = str(row[0])
    with psycopg.connect(replica_uri, autocommit=True) as conn:
        while True:
            caught = conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]).fetchone()
            if caught and caught[0]:
                return time.perf_counter() - started
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"the replica did not replay {lsn} within {timeout} s")
            time.sleep(0.001)
