"""Stripe events for the payments tests: the suite's webhook secret, event payloads, signatures,
and the emulator's control API."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

from stripe_emulator import sign
from tests.support.waiting import wait_until

WEBHOOK_SECRET = "whsec_payments_suite_secret"

__all__ = ["WEBHOOK_SECRET", "control", "gateway_wired", "make_event", "signed_headers", "wait_until"]


def control(emulator: Any, path: str, body: dict[str, Any] | None = None) -> Any:
    """The emulator's JSON control API (POST with a body, else GET)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        emulator.url + path, data=data, method="POST" if data is not None else "GET",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def make_event(
    event_type: str = "payment_intent.created",
    obj: dict[str, Any] | None = None,
    *,
    event_id: str = "evt_test_0001",
    created: int = 1_700_000_000,
    account: str | None = None,
) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "account": account,
        "data": {"object": obj or {"id": "pi_test_1", "object": "payment_intent"}},
    }


def signed_headers(body: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> dict[str, str]:
    return {"HTTP_STRIPE_SIGNATURE": sign(body, secret, timestamp)}


def gateway_wired(settings: Any, emulator: Any) -> Iterator[Any]:
    """Reset `emulator` and point the gateway and the webhook intake at it, for one test (a
    fixture body: `yield from`)."""
    emulator.reset()
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_API_BASE = emulator.url
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_RETRY_BASE_SECONDS = 0.01
    settings.STRIPE_RETRY_MAX_SECONDS = 0.05
    settings.PAYMENTS_WEBHOOK_RETRY_BASE_SECONDS = 0.05
    settings.PAYMENTS_WEBHOOK_RETRY_MAX_SECONDS = 0.2
    yield emulator
    # Stop deliveries to a live server that is going away.
    control(emulator, "/_emulator/webhooks/config", {"url": None, "paused": True})
    emulator.reset()
