"""Read pages and API under load: gunicorn serving the real stack, a threaded keep-alive client."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from bench.common import REPO, BenchResult, summary_ms

HOST = "marketplace.localhost"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not become ready")


def _targets(port: int) -> dict[str, str]:
    """The pages to load; the product page is whichever listing the API returns first."""
    targets = {"home": "/", "search": "/search/?q=backpack", "listings API": "/api/v1/listings/"}
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/api/v1/listings/", headers={"Host": HOST})
        response = conn.getresponse()
        body = json.loads(response.read() or b"{}")
        results = body.get("results") or []
        if results and results[0].get("id") and results[0].get("handle"):
            # The marketplace's product page: /p/<listing id>/<handle>/.
            targets["product page"] = f"/p/{results[0]['id']}/{results[0]['handle']}/"
    except (OSError, ValueError):
        pass
    return targets


def _load(port: int, path: str, *, threads: int, seconds: float) -> tuple[list[float], int, int]:
    samples: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        local: list[float] = []
        local_errors = 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Host": HOST, "Connection": "keep-alive"})
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    local_errors += 1
                local.append(time.perf_counter() - started)
            except (OSError, http.client.HTTPException):
                local_errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        with lock:
            samples.extend(local)
            errors[0] += local_errors

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return samples, len(samples), errors[0]


def run(*, quick: bool) -> BenchResult:
    from demo.seed import demo_seed

    seconds = 5.0 if quick else 30.0
    threads = 8 if quick else 32
    result = BenchResult(
        benchmark="Read pages and API under load",
        command=f"python -m bench --only http{' --quick' if quick else ''}",
        size={"client_threads": threads, "seconds_per_target": seconds, "gunicorn_workers": 4},
    )
    demo_seed()
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DJANGO_DEBUG": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "4", "--worker-class", "gthread", "--threads", "4", "--log-level", "warning"],
        cwd=REPO, env=env, start_new_session=True,
    )
    try:
        _wait_ready(port)
        for name, path in _targets(port).items():
            _load(port, path, threads=2, seconds=1.0)  # warm-up
            samples, count, errors = _load(port, path, threads=threads, seconds=seconds)
            stats = summary_ms(samples)
            result.add(f"{name} ({path}) requests/s", round(count / seconds, 1), "req/s")
            result.add(f"{name} p95", stats["p95_ms"], "ms")
            if errors:
                result.add(f"{name} errors", errors, "responses ≥ 400 or failed")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    result.details["notes"] = [
        "client and server share the machine's 2 cores, so figures are a lower bound",
    ]
    return result
