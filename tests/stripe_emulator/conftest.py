"""Fixtures for the Stripe emulator tests: one server per session, state reset between tests.

These tests need neither Django nor a database. The repository's root `tests/conftest.py`
imports Django, so keep it out with `--confcutdir`:

    .venv/bin/pytest tests/stripe_emulator -p no:django --confcutdir=tests/stripe_emulator -q
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(os.path.dirname(_HERE))
for _path in (_ROOT, _HERE):  # the editable install does not map the project's packages
    if _path not in sys.path:
        sys.path.insert(0, _path)

import stripe  # noqa: E402
from emulator_helpers import API_KEY, WEBHOOK_SECRET, Receiver, control  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from stripe_emulator import EmulatorServer  # noqa: E402


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorServer]:
    server = EmulatorServer(port=0, webhook_secret=WEBHOOK_SECRET).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _reset_emulator(emulator: EmulatorServer) -> Iterator[None]:
    emulator.reset()
    yield
    emulator.reset()


@pytest.fixture
def client(emulator: EmulatorServer) -> stripe.StripeClient:
    return stripe.StripeClient(
        API_KEY,
        base_addresses={"api": emulator.url, "connect": emulator.url, "files": emulator.url},
        max_network_retries=0,
    )


@pytest.fixture
def ctl(emulator: EmulatorServer) -> Callable[..., Any]:
    """`ctl(path, body=None)` calls the control API of the running emulator."""

    def call(path: str, body: dict[str, Any] | None = None) -> Any:
        return control(emulator.url, path, body)

    return call


@pytest.fixture
def receiver(emulator: EmulatorServer) -> Iterator[Receiver]:
    """A local webhook endpoint (werkzeug, port 0) that the emulator delivers to."""
    rec = Receiver(secret=WEBHOOK_SECRET)
    rec.server = make_server("127.0.0.1", 0, rec, threaded=True)
    thread = threading.Thread(target=rec.server.serve_forever, daemon=True)
    thread.start()
    control(emulator.url, "/_emulator/webhooks/config", {"url": rec.url, "retry_base_ms": 20})
    yield rec
    emulator.flush_webhooks(timeout=5)
    rec.server.shutdown()
    rec.server.server_close()
