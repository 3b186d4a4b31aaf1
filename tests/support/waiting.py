"""Polling with a deadline, for work done by another thread, worker or server (no fixed sleeps)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

# Generous because two cores are shared by the web server, the workers and the browser; a passing
# condition returns at once, so only a failing test ever waits this long.
DEFAULT_TIMEOUT = 60.0


def wait_until(condition: Callable[[], Any], timeout: float = DEFAULT_TIMEOUT,
               message: str | Callable[[], str] = "condition", *, interval: float = 0.05) -> Any:
    """Poll `condition` until it returns something truthy and return that; fail after `timeout` s.

    `message` may be a callable so that the failure describes the state at the deadline (what a
    receiver had received by then, for instance), not the state when the wait began.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            described = message() if callable(message) else message
            raise AssertionError(f"condition not met within {timeout}s: {described}")
        time.sleep(interval)
