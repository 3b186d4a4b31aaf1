"""Logical backups of the whole database (roles and every schema) and the restore drill.

`python -m devservices.backup create [--to DIR]` (`make backup`): `pg_dumpall --globals-only`
for the roles (row-level security grants a role of its own, ADR 0047), `pg_dump -Fc` of the
database with every schema (public, the schema template, each vendor's), and a manifest with the
exact row count of every table, counted in the dump's own snapshot.

`python -m devservices.backup drill [--from DIR]` (`make restore-drill`): restores a backup into a
fresh PostgreSQL server (its own data folder, started for the drill), checks that every schema and
every table came back with the manifest's row counts, runs the ledger and gateway reconciliation
(`manage.py reconcile`) against the restored copy, and reports the time each step took. Exit 1 when
anything differs. docs/reliability.md says what this gives on AWS.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from devservices import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
DUMP_FILE = "database.dump"
GLOBALS_FILE = "globals.sql"
MANIFEST_FILE = "manifest.json"
# System schemas and the ones PostgreSQL creates on its own: not part of the backup's promise.
_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


def _tool(name: str) -> str:
    """The wheel's client tools first: they match the embedded server's version (pg_dump refuses a
    newer server); elsewhere (the production image) the ones on PATH."""
    try:
        path = embedded.postgres_bin(name)
    except ImportError:
        path = ""
    if path and os.access(path, os.X_OK):
        return path
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: install the PostgreSQL client tools")
    return found


def _run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs)


def database_url_with(url: str, *, database: str) -> str:
    """The same server, another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{quote(database)}"))


@dataclass
class Manifest:
    database: str
    created_at: str
    schemas: list[str]
    rows: dict[str, int]  # "schema.table" → exact count in the dump's snapshot
    dump_bytes: int = 0
    seconds: float = 0.0


def _table_counts(cursor: Any) -> tuple[list[str], dict[str, int]]:
    from psycopg import sql

    cursor.execute(
        "SELECT nspname FROM pg_namespace WHERE nspname <> ALL(%s) AND nspname NOT LIKE 'pg_temp%%' "
        "AND nspname NOT LIKE 'pg_toast%%' ORDER BY nspname", [list(_SYSTEM_SCHEMAS)])
    schemas = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_type = 'BASE TABLE' AND table_schema = ANY(%s) ORDER BY 1, 2", [schemas])
    rows: dict[str, int] = {}
    for schema, table in cursor.fetchall():
        cursor.execute(sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table)))
        rows[f"{schema}.{table}"] = int(cursor.fetchone()[0])
    return schemas, rows


def backup_create(*, database_url: str, target: Path) -> Manifest:
    """Roles, every schema and the manifest into `target` (created). The row counts and the dump
    read one snapshot (`pg_export_snapshot`), so they agree even while the platform writes."""
    import psycopg

    started = time.monotonic()
    target.mkdir(parents=True, exist_ok=True)
    database = urlsplit(database_url).path.lstrip("/")
    _run([_tool("pg_dumpall"), "--globals-only", "--no-role-passwords", "-d", database_url,
          "-f", str(target / GLOBALS_FILE)])
    # Row-level security forces no policy on the owner (ADR 0047), so the owner's dump is whole.
    with psycopg.connect(database_url) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        with conn.cursor() as cursor:
            schemas, rows = _table_counts(cursor)
        # The exported snapshot lives as long as this transaction: dump inside it.
        _run([_tool("pg_dump"), "-Fc", f"--snapshot={snapshot}", "-d", database_url,
              "-f", str(target / DUMP_FILE)])
    manifest = Manifest(database=database, created_at=datetime.now(UTC).isoformat(), schemas=schemas,
                        rows=rows, dump_bytes=(target / DUMP_FILE).stat().st_size,
                        seconds=round(time.monotonic() - started, 2))
    (target / MANIFEST_FILE).write_text(json.dumps(asdict(manifest), indent=2))
    return manifest


def manifest_read(source: Path) -> Manifest:
    return Manifest(**json.loads((source / MANIFEST_FILE).read_text()))


def backup_restore(*, source: Path, server_url: str, database: str) -> str:
    """Restore a backup into a new database `database` on the server of `server_url` (an admin
    URI); returns the new database's URL. Roles first: the schemas grant to them."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    url = database_url_with(server_url, database=database)
    # The roles file recreates every role, the ones a fresh server already has too ("already
    # exists" is expected); any other error fails the restore.
    globals_run = subprocess.run(
        [_tool("psql"), "-X", "-q", "-d", url, "-f", str(source / GLOBALS_FILE)],
        capture_output=True, text=True, check=False)
    errors = [line for line in globals_run.stderr.splitlines()
              if "ERROR" in line and "already exists" not in line]
    if errors:
        raise RuntimeError("restoring the roles failed: " + "; ".join(errors))
    _run([_tool("pg_restore"), "--exit-on-error", "-j", "2", "-d", url, str(source / DUMP_FILE)])
    return url


@dataclass
class DrillReport:
    ok: bool = True
    steps: dict[str, float] = field(default_factory=dict)  # step → seconds
    differences: list[str] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return round(sum(self.steps.values()), 2)


def restored_compare(*, manifest: Manifest, url: str) -> list[str]:
    """What differs between the backup's manifest and the restored copy (empty: nothing)."""
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        schemas, rows = _table_counts(cursor)
    differences = [f"schema {name} missing" for name in sorted(set(manifest.schemas) - set(schemas))]
    for table, count in sorted(manifest.rows.items()):
        if rows.get(table) != count:
            differences.append(f"{table}: {count} rows backed up, {rows.get(table)} restored")
    return differences


def _manage(args: list[str], *, url: str, env: dict[str, str] | None) -> tuple[int, Any]:
    """`manage.py <args> --json` against the restored copy; (exit code, its JSON report)."""
    child_env = {**os.environ, **(env or {}), "DATABASE_URL": url}
    child_env.pop("DATABASE_REPLICA_URL", None)  # the replica belongs to the live database
    done = subprocess.run([sys.executable, "manage.py", *args, "--json"], cwd=BASE_DIR, env=child_env,
                          capture_output=True, text=True, check=False)
    try:
        return done.returncode, json.loads(done.stdout)
    except json.JSONDecodeError:
        return done.returncode, {"ok": False, "output": (done.stdout + done.stderr)[-2000:]}


def restore_drill(*, source: Path, data_dir: Path | None = None, env: dict[str, str] | None = None,
                  since: str = "2000-01-01", until: str = "2100-01-01", reconcile: bool = True) -> DrillReport:
    """Restore `source` into a fresh server, compare it with the manifest, reconcile it (objects
    created in [since, until)); the server is stopped and its folder removed at the end."""
    report = DrillReport()
    owned = data_dir is None
    pgdata = data_dir or Path(tempfile.mkdtemp(prefix="restore-drill-", dir=embedded.LOCAL_DIR))
    clock = time.monotonic()

    def step(name: str) -> None:
        nonlocal clock
        now = time.monotonic()
        report.steps[name] = round(now - clock, 2)
        clock = now

    try:
        server_url = embedded.postgres_start(pgdata)
        step("server_start")
        manifest = manifest_read(source)
        url = backup_restore(source=source, server_url=server_url, database=manifest.database)
        step("restore")
        report.differences = restored_compare(manifest=manifest, url=url)
        step("compare")
        if reconcile:
            # One process for both (Django starts once): the ledger against the gateway's balance
            # transactions (balanced entries included), and every object of the window.
            code, report.checks = _manage(["reconcile", "--check", "all", "--since", since, "--until", until],
                                          url=url, env=env)
            if code != 0:
                report.differences.append(f"reconcile exited {code}")
            step("reconcile")
    finally:
        if (pgdata / "postmaster.pid").exists():
            embedded.postgres_stop(pgdata, mode="immediate")  # a throwaway copy: no shutdown checkpoint
        if owned:
            shutil.rmtree(pgdata, ignore_errors=True)
    report.ok = not report.differences
    return report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m devservices.backup")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="back up roles and every schema")
    create.add_argument("--to", type=Path, default=None, help="folder (default .local/backups/<time>)")
    drill = commands.add_parser("drill", help="restore into a fresh server and check it")
    drill.add_argument("--from", dest="source", type=Path, default=None,
                       help="a backup folder (default: take a new backup first)")
    drill.add_argument("--skip-reconcile", action="store_true",
                       help="compare row counts only (reconciliation needs the gateway)")
    options = parser.parse_args(argv)
    if options.command == "create" or options.source is None:
        target = options.to if options.command == "create" and options.to else (
            embedded.LOCAL_DIR / "backups" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
        manifest = backup_create(database_url=embedded.database_url(), target=target)
        print(f"backup {target}: {len(manifest.schemas)} schemas, {sum(manifest.rows.values())} rows, "
              f"{manifest.dump_bytes} bytes in {manifest.seconds} s")
        if options.command == "create":
            return 0
        options.source = target
    env = {}
    if not os.environ.get("STRIPE_SECRET_KEY") and not os.environ.get("STRIPE_API_BASE"):
        # Locally the gateway is the emulator that `make run` starts (devservices.run).
        env["STRIPE_API_BASE"] = f"http://127.0.0.1:{os.environ.get('STRIPE_EMULATOR_PORT', '12111')}"
    report = restore_drill(source=options.source, env=env, reconcile=not options.skip_reconcile)
    print(json.dumps({"ok": report.ok, "seconds": report.seconds, "steps": report.steps,
                      "differences": report.differences, "checks": report.checks}, indent=2))
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
