"""`python -m devservices.run`: start the whole platform locally (what `make run` calls).

Starts the embedded PostgreSQL and Valkey (unless DATABASE_URL / REDIS_URL are set), the Stripe
emulator (unless STRIPE_SECRET_KEY is set), migrates, seeds demo data on first start, then runs
the web server, a Celery worker and Celery beat until interrupted.
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
    if on_emulator:
        # The emulator keeps its state across restarts, like the database does.
        processes.append(("stripe-emulator", subprocess.Popen(
            [sys.executable, "-m", "stripe_emulator", "--host", "127.0.0.1",
             "--port", env["STRIPE_EMULATOR_PORT"],
             "--webhook-url", f"http://127.0.0.1:{port}/webhooks/stripe/",
             "--webhook-secret", env["STRIPE_WEBHOOK_SECRET"],
             "--state-file", str(embedded.LOCAL_DIR / "stripe-emulator.json")],
            cwd=BASE_DIR, env=env)))
        _wait_for_port(int(env["STRIPE_EMULATOR_PORT"]))
    try:
        print("Migrating…", flush=True)
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "seed_demo")
        if on_emulator:
            # Paid demo orders, transfers and a payout go through the emulator like real ones.
            _manage(env, "seed_demo_money")
    except BaseException:
        for _name, process in processes:
            process.terminate()
        raise

    processes.append(("web", subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"0.0.0.0:{port}", "--noreload"],
        cwd=BASE_DIR, env=env)))
    processes.append(("worker", subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "INFO",
         "--concurrency", "2"],
        cwd=BASE_DIR, env=env)))
    processes.append(("beat", subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "INFO",
         "--schedule", str(embedded.LOCAL_DIR / "celerybeat-schedule")],
        cwd=BASE_DIR, env=env)))
    domain = env.get("PLATFORM_DOMAIN", "marketplace.localhost")
    print(
        f"\nMarketplace:  http://{domain}:{port}/\n"
        f"Storefront:   http://acme.{domain}:{port}/   dashboard: /dashboard/\n"
        f"Ops console:  http://{domain}:{port}/ops/\n"
        f"API docs:     http://{domain}:{port}/api/v1/docs/\n"
        "Press Ctrl+C to stop.\n",
        flush=True,
    )

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
