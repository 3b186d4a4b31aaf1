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
    # "fast": up to max_attempts, retry_base_ms doubling, in real time (tests that only need a
    # second chance). "stripe": Stripe's live-mode behaviour, on the emulator's clock (moved by
    # POST /_emulator/clock/advance): exponential back-off for up to three days (RETRY_WINDOW_S).
    "retry_schedule": "fast",
    "concurrency": 1,
    "timeout_s": 10.0,
}


# Stripe documents "exponential back-off for up to three days" in live mode and does not publish the
# intervals; these are the emulator's: 1 min, doubling, at most 6 h apart (attempts at about 1, 3,
# 7, 15, 31, 63, 127, 255 min, then every 6 h) until three days after the first attempt.
RETRY_FIRST_S = 60
RETRY_MAX_INTERVAL_S = 6 * 3600
RETRY_WINDOW_S = 3 * 24 * 3600


def stripe_retry_delay(attempt: int) -> int:
    """Seconds between failed attempt `attempt` (1 = the first delivery) and the next."""
    return int(min(RETRY_FIRST_S * 2 ** (attempt - 1), RETRY_MAX_INTERVAL_S))


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
    due_at: float  # on the dispatcher's clock
    attempt: int = 1
    first_at: float | None = None  # when attempt 1 went out (dispatcher's clock)
    # A retry waiting for its time on the emulator's clock: flush() does not wait for it.
    scheduled: bool = False
    queued_at: float = field(default_factory=time.monotonic)


class WebhookDispatcher:
    """Delivers events in a background thread; `flush()` waits until nothing is pending."""

    def __init__(
        self,
        url: str | None = None,
        secret: str | None = None,
        on_result: Callable[[str, bool], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config: dict[str, Any] = dict(DEFAULT_CONFIG, url=url, secret=secret)
        self._on_result = on_result
        # The emulator's clock (real time plus the offset /_emulator/clock/advance adds): retries
        # of the "stripe" schedule fall due on it, so a test can let hours pass at once.
        self._clock = clock
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
        if changes.get("retry_schedule", "fast") not in ("fast", "stripe"):
            raise ValueError("retry_schedule must be fast or stripe")
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
                    _Job(event["id"], event["type"], payload, url, copy, self._generation,
                         due_at=self._clock())
                )
            self._cond.notify_all()
            return 1

    def pending_count(self) -> int:
        with self._cond:
            return len(self._pending) + self._inflight

    def scheduled(self) -> list[dict[str, Any]]:
        """Retries waiting for their time on the emulator's clock (the "stripe" schedule)."""
        with self._cond:
            return [{"event_id": j.event_id, "next_attempt": j.attempt, "due_at": j.due_at}
                    for j in self._pending if j.scheduled]

    def clock_changed(self) -> None:
        """The emulator's clock moved (clock/advance): retries may have fallen due."""
        with self._cond:
            self._cond.notify_all()

    def deliveries(self, event_id: str | None = None) -> list[dict[str, Any]]:
        with self._cond:
            return [dict(d) for d in self._log if event_id is None or d["event_id"] == event_id]

    def flush(self, timeout: float = 30.0) -> dict[str, Any]:
        """Deliver everything pending (even while paused) and wait until it is done. Retries of
        the "stripe" schedule not yet due on the emulator's clock stay scheduled (`scheduled`)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            start = len(self._log)
            self._flushing += 1
            self._cond.notify_all()
            try:
                while self._unsettled():
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
                "scheduled": sum(1 for j in self._pending if j.scheduled),
                "timed_out": self._unsettled(),
            }

    def _unsettled(self) -> bool:
        """Work a flush waits for: deliveries in flight, and jobs not parked on the emulator's clock."""
        now = self._clock()
        return bool(self._inflight or any(not j.scheduled or j.due_at <= now for j in self._pending))

    # -- worker ------------------------------------------------------------------------------
    def _take_batch(self) -> list[_Job] | None:
        with self._cond:
            while True:
                if self._stopped:
                    return None
                now = self._clock()
                wait: float | None = None
                if self._pending and (not self.config["paused"] or self._flushing):
                    due = [j for j in self._pending if j.due_at <= now]
                    window = self.config["reorder_window_ms"] / 1000.0
                    if due and self.config["reorder"] and not self._flushing:
                        oldest = min(j.queued_at for j in due)
                        age = time.monotonic() - oldest
                        if age < window:
                            due = []
                            wait = window - age
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
            finals: list[tuple[str, bool]] = []
            with self._cond:
                for job, ok in zip(batch, outcomes, strict=True):
                    if job.generation != self._generation:
                        continue
                    retry_at = None if ok else self._retry_at(job)
                    if retry_at is None:
                        finals.append((job.event_id, ok))
                    else:
                        job.attempt += 1
                        job.due_at = retry_at
                        job.scheduled = self.config["retry_schedule"] == "stripe"
                        self._pending.append(job)
                self._inflight -= len(batch)
                self._cond.notify_all()
            if self._on_result is not None:
                for event_id, ok in finals:
                    self._on_result(event_id, ok)

    def _retry_at(self, job: _Job) -> float | None:
        """When a failed job's next attempt falls due, or None when it is given up."""
        if self.config["retry_schedule"] == "stripe":
            first = job.first_at if job.first_at is not None else self._clock()
            retry_at = self._clock() + stripe_retry_delay(job.attempt)
            return retry_at if retry_at - first <= RETRY_WINDOW_S else None
        if job.attempt >= int(self.config["max_attempts"]):
            return None
        return self._clock() + self.config["retry_base_ms"] / 1000.0 * 2 ** (job.attempt - 1)

    def _deliver(self, job: _Job) -> bool:
        if job.first_at is None:
            job.first_at = self._clock()
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
            "delivered_at": self._clock(),
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
        }
        with self._cond:
            if job.generation == self._generation:
                self._log.append(entry)
        return ok
