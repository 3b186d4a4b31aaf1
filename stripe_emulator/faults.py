"""Fault injection for the API: rules that answer 5xx or 429, hold past the client's timeout,
drop the connection or slow down, for a share of the matching requests, before or after the
request changes any state.

A rule fires deterministically: of the requests it matches, the n-th fires when
ceil((n + seed) * share) > ceil((n - 1 + seed) * share). With share 1/2 and seed 0 that is the
1st, 3rd, 5th... request; the same sequence of requests always meets the same faults.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .errors import StripeError
from .state import new_id

KINDS = ("status", "timeout", "reset", "slow")
STATUSES = (500, 502, 503, 504, 429)
WHEN = ("before", "after")
BODIES = ("stripe", "html")
METHODS = ("GET", "POST", "DELETE")
_DEFAULT_DELAY_MS = {"timeout": 30_000, "slow": 1_000, "status": 0, "reset": 0}
_MAX_DELAY_MS = 120_000
_LOG_SIZE = 200


@dataclass
class FaultRule:
    """One rule; `seen` counts the requests it matched, `fired` those it broke."""

    id: str
    kind: str
    status: int | None
    when: str
    delay_ms: int
    share: Fraction
    seed: int
    path: re.Pattern[str] | None
    method: str | None
    limit: int | None
    body: str = "stripe"
    seen: int = 0
    fired: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)

    def spent(self) -> bool:
        """A rule with a limit that has fired that many times lets every request through."""
        return self.limit is not None and self.fired >= self.limit

    def matches(self, method: str, path: str) -> bool:
        if self.method and method != self.method:
            return False
        return self.path is None or self.path.search(path) is not None

    def take(self, *, eligible: bool = True) -> bool:
        """Count one matching request; True when this one is to fail (never when another rule
        already broke it: `eligible` False)."""
        self.seen += 1
        if not eligible or self.spent():
            return False
        n = self.seen + self.seed
        fire = math.ceil(n * self.share) > math.ceil((n - 1) * self.share)
        self.fired += fire
        return fire

    def render(self) -> dict[str, Any]:
        return {
            "id": self.id, "object": "emulator.fault", "kind": self.kind, "status": self.status,
            "when": self.when, "delay_ms": self.delay_ms, "share": float(self.share),
            "seed": self.seed, "path": self.path.pattern if self.path else None,
            "method": self.method, "limit": self.limit, "body": self.body, "seen": self.seen,
            "fired": self.fired,
            "spent": self.spent(), "log": list(self.log),
        }


def rule_from_body(body: dict[str, Any]) -> FaultRule:
    """Validate a rule as sent to `POST /_emulator/faults` (JSON or form); raises StripeError."""
    status = _int_or_none(body.get("status"), "status")
    kind = str(body.get("kind") or ("status" if status is not None else "")).lower()
    if kind not in KINDS:
        raise StripeError.invalid(f"kind must be one of {', '.join(KINDS)} (or give a status).", param="kind")
    if kind == "status" and status not in STATUSES:
        raise StripeError.invalid(f"status must be one of {', '.join(map(str, STATUSES))}.", param="status")
    if kind != "status" and status is not None:
        raise StripeError.invalid(f"A {kind} fault sends no status.", param="status")
    when = str(body.get("when") or "before").lower()
    if when not in WHEN:
        raise StripeError.invalid("when must be before or after.", param="when")
    if status == 429 and when == "after":
        # Stripe refuses a rate-limited request before running it; anything else would be a 5xx.
        raise StripeError.invalid("A 429 is answered before the request runs (when=before).", param="when")
    delay_ms = _int_or_none(body.get("delay_ms"), "delay_ms")
    delay_ms = _DEFAULT_DELAY_MS[kind] if delay_ms is None else delay_ms
    if not 0 <= delay_ms <= _MAX_DELAY_MS:
        raise StripeError.invalid(f"delay_ms must be between 0 and {_MAX_DELAY_MS}.", param="delay_ms")
    try:
        share = Fraction(str(body.get("share", 1))).limit_denominator(1_000_000)
    except (ValueError, ZeroDivisionError):
        raise StripeError.invalid("share must be a number between 0 and 1.", param="share") from None
    if not 0 <= share <= 1:
        raise StripeError.invalid("share must be a number between 0 and 1.", param="share")
    seed = _int_or_none(body.get("seed"), "seed") or 0
    limit = _int_or_none(body.get("limit", body.get("count")), "limit")
    if limit is not None and limit < 1:
        raise StripeError.invalid("limit must be at least 1 (leave it out for no limit).", param="limit")
    method = str(body.get("method") or "").upper() or None
    if method is not None and method not in METHODS:
        raise StripeError.invalid(f"method must be one of {', '.join(METHODS)}.", param="method")
    pattern = body.get("path")
    try:
        path = re.compile(str(pattern)) if pattern else None
    except re.error as exc:
        raise StripeError.invalid(f"path is not a valid regular expression: {exc}.", param="path") from None
    answer = str(body.get("body") or "stripe").lower()
    if answer not in BODIES or (answer == "html" and kind != "status"):
        # `html`: the page a proxy or load balancer in front of the API sends, not Stripe's JSON.
        raise StripeError.invalid("body must be stripe or html (html only with a status).", param="body")
    return FaultRule(id=new_id("flt_", 14), kind=kind, status=status, when=when, delay_ms=delay_ms,
                     share=share, seed=seed, path=path, method=method, limit=limit, body=answer)


def _int_or_none(value: Any, param: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise StripeError.invalid(f"{param} must be an integer.", param=param)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeError.invalid(f"{param} must be an integer.", param=param) from None


class FaultInjector:
    """The rules in force, in the order they were added; the first matching rule that fires wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        # Set when the rules are cleared: a request held by a timeout or slow fault lets go at once.
        self._released = threading.Event()

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.render() for rule in self._rules]

    def clear(self) -> int:
        with self._lock:
            count, self._rules = len(self._rules), []
            released, self._released = self._released, threading.Event()
        released.set()
        return count

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            kept = [rule for rule in self._rules if rule.id != rule_id]
            removed, self._rules = len(kept) != len(self._rules), kept
        return removed

    def pick(self, method: str, path: str, idempotency_key: str | None) -> FaultRule | None:
        """The rule that breaks this request, if any; every matching rule counts it."""
        chosen: FaultRule | None = None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                fires = rule.take(eligible=chosen is None)
                chosen = rule if fires else chosen
                rule.log.append({"n": rule.seen, "method": method, "path": path,
                                 "idempotency_key": idempotency_key, "fired": fires})
                del rule.log[:-_LOG_SIZE]
        return chosen

    def hold(self, delay_ms: int) -> None:
        """Wait `delay_ms`, or less if the rules are cleared meanwhile."""
        with self._lock:
            released = self._released
        released.wait(delay_ms / 1000)


def fault_error(status: int) -> StripeError:
    """Stripe's answer for an injected status: `rate_limit` for 429, `api_error` for a 5xx."""
    if status == 429:
        return StripeError(
            429, "invalid_request_error",
            "Request rate limit exceeded. You can learn more about rate limits here "
            "https://stripe.com/docs/rate-limits.",
            code="rate_limit",
        )
    return StripeError(
        status, "api_error",
        "An unknown error occurred on Stripe's side (injected by the emulator's fault rules).",
    )
