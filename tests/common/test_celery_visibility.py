"""The broker's visibility timeout is longer than any delay a task message can wait for.

On Redis a message is unacknowledged from the moment a worker takes it, including while a
countdown, ETA or retry delay holds it in the worker; once the visibility timeout passes, the
broker hands it to another worker as well. Every delay in the code is found here, by reading the
source (calls with `countdown=`/`eta=`, `self.retry(...)`) and the task registry (automatic
retries), so a new long delay fails this test rather than running its task twice in production.
"""

from __future__ import annotations

import ast
import random
from pathlib import Path

from django.conf import settings

from config.celery import app

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".venv", ".venv-infra", "node_modules", "tests", ".local", "bench", "stripe_emulator", "infra"}


def _webhook_apply_max() -> float:
    from payments import tasks

    real = random.random
    random.random = lambda: 1.0  # the jitter's upper bound
    try:
        return max(tasks._retry_delay(n) for n in range(tasks.MAX_APPLY_RETRIES + 1))
    finally:
        random.random = real


# Every place in the code that delays a message, with the longest delay it can ask for. A new
# place fails `test_every_delay_in_the_code_is_known` until it is added here with its maximum.
DELAY_SITES = {
    ("payments/tasks.py", "webhook_event_apply"): _webhook_apply_max,
}


def _source_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*.py") if not SKIP_DIRS.intersection(p.relative_to(root).parts)]


def _delay_sites(root: Path = ROOT) -> set[tuple[str, str]]:
    """(file, enclosing function) of every call passing `countdown`/`eta`, or a task's `retry`."""
    found: set[tuple[str, str]] = set()
    for path in _source_files(root):
        tree = ast.parse(path.read_text(), filename=str(path))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if not isinstance(node, ast.Call):
                    continue
                delayed = any(k.arg in {"countdown", "eta"} for k in node.keywords)
                retried = isinstance(node.func, ast.Attribute) and node.func.attr == "retry" and (
                    isinstance(node.func.value, ast.Name) and node.func.value.id == "self")
                if delayed or retried:
                    found.add((str(path.relative_to(root)), func.name))
    return found


def _registry_delays() -> dict[str, float]:
    """Per task of ours: the longest automatic retry delay (`autoretry_for`, backoff capped)."""
    app.loader.import_default_modules()
    delays: dict[str, float] = {}
    for name, task in app.tasks.items():
        if name.startswith("celery."):
            continue
        delay = float(task.default_retry_delay or 0)
        if getattr(task, "autoretry_for", ()) and getattr(task, "retry_backoff", False):
            delay = float(getattr(task, "retry_backoff_max", 600))
        delays[name] = delay
    return delays


def test_every_delay_in_the_code_is_known() -> None:
    unknown = _delay_sites() - set(DELAY_SITES)
    assert not unknown, f"new countdown/eta/retry sites: add their maximum delay to DELAY_SITES: {unknown}"


def test_the_visibility_timeout_outlasts_every_delay() -> None:
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    delays = {f"{f}:{fn}": bound() for (f, fn), bound in DELAY_SITES.items()} | _registry_delays()
    longest = max(delays, key=lambda k: delays[k])
    assert delays[longest] > 600, "the scan found the webhook apply's hour-long backoff"
    # A margin for the task's own run time: the message is held until the delayed run finishes.
    assert timeout >= delays[longest] + 600, (
        f"visibility timeout {timeout}s is not longer than {longest}'s delay of {delays[longest]:.0f}s")
    assert settings.CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS["visibility_timeout"] == timeout


def test_the_scan_sees_a_new_long_countdown(tmp_path: Path) -> None:
    """The guard itself: a countdown, an ETA or a task's own retry added to an app is found."""
    (tmp_path / "orders").mkdir()
    (tmp_path / "orders" / "later.py").write_text(
        "def later(task):\n    task.apply_async(args=[1], countdown=3 * 3600)\n\n"
        "def at(task, when):\n    task.apply_async(eta=when)\n\n"
        "def again(self):\n    raise self.retry(exc=None)\n"
    )
    assert _delay_sites(tmp_path) == {("orders/later.py", "later"), ("orders/later.py", "at"),
                                      ("orders/later.py", "again")}
