"""Payments fixtures: one Stripe emulator per session (reset per test), settings pointing at it,
signed webhook posts, and helpers to wait for the worker."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from stripe_emulator import EmulatorServer, sign

WEBHOOK_SECRET = "whsec_payments_suite_secret"


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    server = EmulatorServer(port=0, webhook_secret=WEBHOOK_SECRET).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _gateway_on_emulator(settings: Any, emulator: EmulatorServer) -> Iterator[None]:
    emulator.reset()
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_API_BASE = emulator.url
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_RETRY_BASE_SECONDS = 0.01
    settings.STRIPE_RETRY_MAX_SECONDS = 0.05
    settings.PAYMENTS_WEBHOOK_RETRY_BASE_SECONDS = 0.05
    settings.PAYMENTS_WEBHOOK_RETRY_MAX_SECONDS = 0.2
    yield
    # Stop deliveries to a live server that is going away.
    control(emulator, "/_emulator/webhooks/config", {"url": None, "paused": True})
    emulator.reset()


def control(emulator: EmulatorServer, path: str, body: dict[str, Any] | None = None) -> Any:
    """The emulator's JSON control API (POST with a body, else GET)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        emulator.url + path, data=data, method="POST" if data is not None else "GET",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def ctl(emulator: EmulatorServer) -> Callable[..., Any]:
    def call(path: str, body: dict[str, Any] | None = None) -> Any:
        return control(emulator, path, body)

    return call


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, message: str = "") -> Any:
    """Poll `predicate` until it returns something truthy (no fixed sleeps in tests)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s {message}")
        time.sleep(0.02)


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


@pytest.fixture
def post_event(platform_client: Any) -> Callable[..., Any]:
    """Post an event (dict or raw text) signed like Stripe to `/webhooks/stripe/`."""

    def post(event: dict[str, Any] | str, **sign_kwargs: Any) -> Any:
        body = event if isinstance(event, str) else json.dumps(event)
        return platform_client.post(
            "/webhooks/stripe/", data=body, content_type="application/json",
            **signed_headers(body, **sign_kwargs),
        )

    return post


@pytest.fixture
def deliver_to(emulator: EmulatorServer) -> Callable[[str], None]:
    """Point the emulator's webhook deliveries at a live server's endpoint."""

    def configure(base_url: str, **extra: Any) -> None:
        control(emulator, "/_emulator/webhooks/config", {
            "url": base_url.rstrip("/") + "/webhooks/stripe/", "retry_base_ms": 20,
            "paused": False, **extra,
        })

    return configure
