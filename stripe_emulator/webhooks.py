"""Signed webhook delivery with retries, plus duplicate/delay/reorder/hold controls for tests."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

DEFAULT_CONFIG: dict[str, Any] = {
    "url": None,
    # Connect events (those with `account`) go here when set, else to `url`.
    "connect_url": None,
    "secret": None,
    # Total copies of each event delivered (2 = every event arrives twice).
    "duplicate": 1,
    "delay_ms": 0,
    "reorder": False,
    # With reorder on, events are gathered this long before a shuffled batch goes out.
    "reorder_window_ms": 200,
    "paused": False,
    "max_attempts": 4,
    "retry_base_ms": 100,
    "concurrency": 1,
    "timeout_s": 10.0,
}


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header value for a payload, as Stripe computes it."""
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


@dataclass
class _Job:
    event_id: str
    event_type: str
    payload: str
    url: str
    copy: int
    generation: int
    attempt: int = 1
    due_at: float = field(default_factory=time.monotonic)
    queued_at: float = field(default_factory=time.monotonic)


class WebhookDispatcher:
    """Delivers events in a background thread; `flush()` waits until nothing is pending."""

    def __init__(
        self,
        url: str | None = None,
        secret: str | None = None,
        on_result: Callable[[str, bool], None] | None = None,
    ) -> None:
        self.config: dict[str, Any] = dict(DEFAULT_CONFIG, url=url, secret=secret)
        self._on_result = on_result
        self._cond = threading.Condition()
        self._pending: list[_Job] = []
        self._inflight = 0
        self._flushing = 0
        self._stopped = False
        self._log: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        # Bumped by reset(): retries of jobs queued before a reset are dropped.
        self._generation = 0
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="emulator-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread:
            self._thread.join(timeout=5)

    def reset(self, url: str | None = None, secret: str | None = None) -> None:
        with self._cond:
            self._pending.clear()
            self._log.clear()
            self._generation += 1
            self.config = dict(DEFAULT_CONFIG, url=url, secret=secret)
            self._cond.notify_all()

    def configure(self, changes: dict[str, Any]) -> dict[str, Any]:
        unknown = set(changes) - set(DEFAULT_CONFIG)
        if unknown:
            raise ValueError(f"unknown webhook settings: {', '.join(sorted(unknown))}")
        with self._cond:
            self.config.update(changes)
            self.config["duplicate"] = max(1, int(self.config["duplicate"]))
            self.config["concurrency"] = max(1, int(self.config["concurrency"]))
            self._cond.notify_all()
            return dict(self.config)

    # -- queueing ----------------------------------------------------------------------------
    def target_for(self, event: dict[str, Any]) -> str | None:
        if event.get("account") and self.config.get("connect_url"):
            return str(self.config["connect_url"])
        url = self.config.get("url")
        return str(url) if url else None

    def enqueue(self, event: dict[str, Any]) -> int:
        """Queue an event for delivery; returns the number of endpoints it is pending for."""
        with self._cond:
            url = self.target_for(event)
            if not url:
                return 0
            payload = json.dumps(event, indent=2)
            for copy in range(1, int(self.config["duplicate"]) + 1):
                self._pending.append(
                    _Job(event["id"], event["type"], payload, url, copy, self._generation)
                )
            self._cond.notify_all()
            return 1

    def pending_count(self) -> int:
        with self._cond:
            return len(self._pending) + self._inflight

    def deliveries(self, event_id: str | None = None) -> list[dict[str, Any]]:
        with self._cond:
            return [dict(d) for d in self._log if event_id is None or d["event_id"] == event_id]

    def flush(self, timeout: float = 30.0) -> dict[str, Any]:
        """Deliver everything pending (even while paused) and wait until it is done."""
        deadline = time.monotonic() + timeout
        with self._cond:
            start = len(self._log)
            self._flushing += 1
            self._cond.notify_all()
            try:
                while self._pending or self._inflight:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(min(remaining, 0.05))
            finally:
                self._flushing -= 1
            results = [dict(d) for d in self._log[start:]]
            return {
                "deliveries": results,
                "pending": len(self._pending) + self._inflight,
                "timed_out": bool(self._pending or self._inflight),
            }

    # -- worker ------------------------------------------------------------------------------
    def _take_batch(self) -> list[_Job] | None:
        with self._cond:
            while True:
                if self._stopped:
                    return None
                now = time.monotonic()
                wait: float | None = None
                if self._pending and (not self.config["paused"] or self._flushing):
                    due = [j for j in self._pending if j.due_at <= now]
                    window = self.config["reorder_window_ms"] / 1000.0
                    if due and self.config["reorder"] and not self._flushing:
                        oldest = min(j.queued_at for j in due)
                        if now - oldest < window:
                            due = []
                            wait = oldest + window - now
                    if due:
                        for job in due:
                            self._pending.remove(job)
                        self._inflight += len(due)
                        if self.config["reorder"]:
                            random.shuffle(due)
                        return due
                    if wait is None:
                        wait = max(0.001, min(j.due_at for j in self._pending) - now)
                self._cond.wait(wait if wait is not None else 1.0)

    def _run(self) -> None:
        while True:
            batch = self._take_batch()
            if batch is None:
                return
            concurrency = int(self.config["concurrency"])
            if concurrency > 1 and len(batch) > 1:
                with ThreadPoolExecutor(max_workers=concurrency) as pool:
                    outcomes = list(pool.map(self._deliver, batch))
            else:
                outcomes = [self._deliver(job) for job in batch]
            with self._cond:
                for job, ok in zip(batch, outcomes, strict=True):
                    if job.generation != self._generation:
                        continue
                    if not ok and job.attempt < int(self.config["max_attempts"]):
                        backoff = self.config["retry_base_ms"] / 1000.0 * 2 ** (job.attempt - 1)
                        job.attempt += 1
                        job.due_at = time.monotonic() + backoff
                        self._pending.append(job)
                self._inflight -= len(batch)
                self._cond.notify_all()

    def _deliver(self, job: _Job) -> bool:
        delay = float(self.config["delay_ms"]) / 1000.0
        if delay > 0:
            time.sleep(delay)
        secret = self.config.get("secret") or ""
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": sign(job.payload, secret),
        }
        request = urllib.request.Request(
            job.url, data=job.payload.encode(), headers=headers, method="POST"
        )
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            # The target comes from the operator (command line or the control API); still, only
            # http(s): urllib would also open file: and ftp: URLs.
            if urllib.parse.urlsplit(job.url).scheme not in ("http", "https"):
                raise urllib.error.URLError(f"not an http(s) endpoint: {job.url}")
            with urllib.request.urlopen(request, timeout=float(self.config["timeout_s"])) as resp:  # nosec B310
                status = resp.status
                resp.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
            error = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            error = str(exc)
        ok = status is not None and 200 <= status < 300
        entry = {
            "id": f"whdel_{next(self._ids)}",
            "event_id": job.event_id,
            "event_type": job.event_type,
            "url": job.url,
            "attempt": job.attempt,
            "copy": job.copy,
            "status": status,
            "ok": ok,
            "error": error,
            "delivered_at": time.time(),
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        }
        with self._cond:
            if job.generation == self._generation:
                self._log.append(entry)
        if self._on_result is not None:
            final = ok or job.attempt >= int(self.config["max_attempts"])
            if final:
                self._on_result(job.event_id, ok)
        return ok
