"""`python -m devservices.run`: start the whole platform locally (what `make run` calls).

Starts the embedded PostgreSQL and Valkey (unless DATABASE_URL / REDIS_URL are set), the Stripe
emulator (unless STRIPE_SECRET_KEY is set), migrates, seeds the demo's users and stores (their
catalogs and 90 days of orders fill in the background, one task per store), then runs the web
server, a Celery worker and Celery beat until interrupted, and prints where to go and who to be.
LOG_LEVEL=DEBUG shows every request line (web server, emulator, Stripe calls).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from devservices import embedded

BASE_DIR = Path(__file__).resolve().parent.parent


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    env.setdefault("DJANGO_DEBUG", "1")
    env["DATABASE_URL"] = embedded.database_url()
    env["REDIS_URL"] = embedded.redis_url()
    port = env.setdefault("PORT", "8000")
    env.setdefault("PLATFORM_PORT", port)
    if not env.get("STRIPE_SECRET_KEY"):
        emulator_port = env.setdefault("STRIPE_EMULATOR_PORT", "12111")
        env.setdefault("STRIPE_API_BASE", f"http://127.0.0.1:{emulator_port}")
        env.setdefault("STRIPE_WEBHOOK_SECRET", "whsec_local_emulator_secret")
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def _wait_for_health(url: str, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            # Our own web server, just started (http://127.0.0.1:PORT/healthz).
            with urllib.request.urlopen(url, timeout=2) as response:  # nosec B310
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def logins_table(*, domain: str, port: str) -> str:
    """Where to go and who to be: every demo store and login (the same source as the README's)."""
    from demo.stores import DEMO_PASSWORD, DEMO_STORES, PLATFORM_LOGINS

    site = f"http://{domain}:{port}"
    rows = [("Marketplace", f"{site}/", "buyer@example.com"),
            ("Ops console", f"{site}/ops/", ", ".join(e for _w, e, _n, role in PLATFORM_LOGINS if role)),
            ("Mailbox (emails sent)", f"{site}/dev/mail/", ""),
            ("API docs", f"{site}/api/v1/docs/", "")]
    rows += [(f"{store.name} ({store.currency})", f"http://{store.slug}.{domain}:{port}/dashboard/",
              store.owner_email) for store in DEMO_STORES]
    width = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"  {a:<{width[0]}}  {b:<{width[1]}}  {c}".rstrip() for a, b, c in rows]
    return "\n".join([
        "", f"Ready. Every login's password is {DEMO_PASSWORD}", *lines,
        "On a first start the stores' catalogs fill in over the next minutes, then their 90 days of orders.",
        "Ctrl+C stops everything; LOG_LEVEL=DEBUG make run shows every request.", "",
    ])


def _wait_for_port(port: int, timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing is listening on port {port}")


def main() -> int:
    env = _env()
    port = env["PORT"]
    processes: list[tuple[str, subprocess.Popen[bytes]]] = []
    on_emulator = not env.get("STRIPE_SECRET_KEY")
    debug = env.get("LOG_LEVEL", "").upper() == "DEBUG"
    celery_level = env.get("LOG_LEVEL", "WARNING") if debug else "WARNING"
    if on_emulator:
        # The emulator keeps its state across restarts, like the database does.
        processes.append(("stripe-emulator", subprocess.Popen(
            [sys.executable, "-m", "stripe_emulator", "--host", "127.0.0.1",
             "--port", env["STRIPE_EMULATOR_PORT"],
             "--webhook-url", f"http://127.0.0.1:{port}/webhooks/stripe/",
             "--webhook-secret", env["STRIPE_WEBHOOK_SECRET"],
             "--state-file", str(embedded.LOCAL_DIR / "stripe-emulator.json"),
             *(["--verbose"] if debug else [])],
            cwd=BASE_DIR, env=env, stdout=None if debug else subprocess.DEVNULL)))
        _wait_for_port(int(env["STRIPE_EMULATOR_PORT"]))
    try:
        print("Migrating…", flush=True)
        _manage(env, "migrate", "--noinput", "-v", "0")
    except BaseException:
        for _name, process in processes:
            process.terminate()
        raise
    # Users and stores while the servers start; each store's catalog and orders then by a worker
    # task (all idempotent: a second start finds them and does nothing).
    seed = subprocess.Popen([sys.executable, "manage.py", "seed_demo", "--in-background", "-v", "0"],
                            cwd=BASE_DIR, env=env)

    processes.append(("web", subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"0.0.0.0:{port}", "--noreload"],
        # Its banner (stdout) says less than the table below; its errors go to stderr.
        cwd=BASE_DIR, env=env, stdout=None if debug else subprocess.DEVNULL)))
    processes.append(("worker", subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", celery_level, "--concurrency", "2"],
        # Banners on stdout; log lines (a task's failure among them) on stderr.
        cwd=BASE_DIR, env=env, stdout=None if debug else subprocess.DEVNULL)))
    processes.append(("beat", subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", celery_level,
         "--schedule", str(embedded.LOCAL_DIR / "celerybeat-schedule")],
        cwd=BASE_DIR, env=env, stdout=None if debug else subprocess.DEVNULL)))
    domain = env.get("PLATFORM_DOMAIN", "marketplace.localhost")
    try:
        if seed.wait() != 0:
            raise RuntimeError(f"the demo seed failed (exit {seed.returncode})")
        _wait_for_health(f"http://127.0.0.1:{port}/healthz")
    except RuntimeError as exc:
        print(f"{exc}; stopping", flush=True)
        for _name, process in processes:
            process.terminate()
        return 1
    print(logins_table(domain=domain, port=port), flush=True)

    def stop(*_: object) -> None:
        for _name, process in processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 10
        for _name, process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()

    def stop_and_exit(*_: object) -> None:
        stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop_and_exit)
    try:
        while True:
            for name, process in processes:
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; stopping", flush=True)
                    stop()
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
