"""PgBouncer (Debian's `pgbouncer` package) in front of the embedded PostgreSQL, for the pooling
test and the benchmarks (ADR 0061): session pooling, `DISCARD ALL` between clients.

`make pgbouncer-deps` installs the package when it is missing, as `make e2e-deps` does Chromium.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from devservices.embedded import LOCAL_DIR, _free_port

EXECUTABLE = "/usr/sbin/pgbouncer"
# The embedded PostgreSQL runs as this user when started by root; PgBouncer refuses to run as root.
SERVICE_USER = "embedded_postgres"


@dataclass(frozen=True)
class Pgbouncer:
    port: int
    directory: Path
    database: str
    user: str

    @property
    def url(self) -> str:
        """The URL clients use instead of the database's."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def pools(self) -> list[dict[str, str]]:
        """`SHOW POOLS` of the admin console: per database and user, `sv_active`, `sv_idle`,
        `sv_used`... (server connections) and `cl_active`, `cl_waiting` (clients)."""
        return self._show("POOLS")

    def server_connections(self, database: str | None = None) -> int:
        """Server connections PgBouncer holds open to PostgreSQL (all states), for one database."""
        database = database or self.database
        return sum(1 for row in self._show("SERVERS") if row.get("database") == database)

    def _show(self, what: str) -> list[dict[str, str]]:
        import psycopg

        # The admin console speaks the simple query protocol only.
        with psycopg.connect(f"postgresql://{self.user}@127.0.0.1:{self.port}/pgbouncer", autocommit=True) as conn:
            result = conn.pgconn.exec_(f"SHOW {what}".encode())
            names = [(result.fname(col) or b"").decode() for col in range(result.nfields)]
            return [
                {names[col]: (result.get_value(row, col) or b"").decode() for col in range(result.nfields)}
                for row in range(result.ntuples)
            ]


def available() -> bool:
    return Path(EXECUTABLE).exists()


def _alive(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def start(database_url: str, *, name: str, pool_mode: str = "session", pool_size: int = 20) -> Pgbouncer:
    """Start a PgBouncer named `name` (its folder under .local/) in front of `database_url`'s
    server (a unix-socket URL of the embedded PostgreSQL, or host:port)."""
    if not available():
        raise RuntimeError("pgbouncer is not installed: run `make pgbouncer-deps` (Debian's pgbouncer package)")
    parts = urlsplit(database_url)
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
    server_port = parts.port or 5432
    user = parts.username or "postgres"
    database = parts.path.lstrip("/") or "postgres"
    directory = LOCAL_DIR / f"pgbouncer-{name}"
    stop(directory)
    directory.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    (directory / "userlist.txt").write_text(f'"{user}" ""\n')
    (directory / "pgbouncer.ini").write_text("\n".join([
        "[databases]",
        f"* = host={host} port={server_port} user={user}",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {port}",
        "unix_socket_dir =",
        "auth_type = trust",
        f"auth_file = {directory / 'userlist.txt'}",
        f"admin_users = {user}",
        f"stats_users = {user}",
        f"pool_mode = {pool_mode}",
        f"default_pool_size = {pool_size}",
        "max_client_conn = 2000",
        # Session state (search_path, SET ... settings) never passes from one client to the next.
        "server_reset_query = DISCARD ALL",
        "server_reset_query_always = 1",
        "ignore_startup_parameters = extra_float_digits,options",
        f"logfile = {directory / 'pgbouncer.log'}",
        f"pidfile = {directory / 'pgbouncer.pid'}",
    ]) + "\n")
    command = [EXECUTABLE, "-d", str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:
        shutil.chown(directory, user=SERVICE_USER)
        for path in directory.iterdir():
            shutil.chown(path, user=SERVICE_USER)
        command[1:1] = ["-u", SERVICE_USER]
    subprocess.run(command, check=True, capture_output=True)
    deadline = time.monotonic() + 10
    while not _alive(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"pgbouncer did not start; see {directory / 'pgbouncer.log'}")
        time.sleep(0.05)
    return Pgbouncer(port=port, directory=directory, database=database, user=user)


def stop(directory: Path | Pgbouncer) -> None:
    """Stop the PgBouncer whose folder (or handle) this is, if it runs."""
    if isinstance(directory, Pgbouncer):
        directory = directory.directory
    pidfile = directory / "pgbouncer.pid"
    if not pidfile.exists():
        return
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, signal.SIGTERM)
    except (ValueError, ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
