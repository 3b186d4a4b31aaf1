"""Payments fixtures: the session's Stripe emulator (reset per test) with the gateway on it,
signed webhook posts, and deliveries pointed at a live server. Helpers: tests/payments/events.py."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.payments.events import control, gateway_wired, signed_headers


@pytest.fixture(scope="session")
def emulator(payments_emulator: Any) -> Any:
    return payments_emulator


@pytest.fixture(autouse=True)
def _gateway_on_emulator(settings: Any, emulator: Any) -> Iterator[None]:
    yield from gateway_wired(settings, emulator)


@pytest.fixture
def ctl(emulator: Any) -> Callable[..., Any]:
    def call(path: str, body: dict[str, Any] | None = None) -> Any:
        return control(emulator, path, body)

    return call


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
def deliver_to(emulator: Any) -> Callable[[str], None]:
    """Point the emulator's webhook deliveries at a live server's endpoint."""

    def configure(base_url: str, **extra: Any) -> None:
        control(emulator, "/_emulator/webhooks/config", {
            "url": base_url.rstrip("/") + "/webhooks/stripe/", "retry_base_ms": 20,
            "paused": False, **extra,
        })

    return configure
