"""`make run` wiring: `python -m stripe_emulator --webhook-url …/webhooks/stripe/` (as
devservices/run.py starts it) delivers signed events the Django app accepts and stores."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from payments import gateway
from payments.models import WebhookEvent
from tenants.services import public_tenant_ensure
from tests.payments.events import WEBHOOK_SECRET, wait_until

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def emulator_process(live_server: Any) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "stripe_emulator", "--host", "127.0.0.1", "--port", str(port),
         "--webhook-url", f"{live_server.url}/webhooks/stripe/", "--webhook-secret", WEBHOOK_SECRET],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            with urllib.request.urlopen(url + "/_emulator/health", timeout=1) as resp:
                return resp.status == 200
        except OSError:
            return False

    try:
        wait_until(up, timeout=30, message="emulator process listening")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.mark.django_db(transaction=True)
def test_the_emulator_process_delivers_to_the_webhook_endpoint(emulator_process: str, settings: Any) -> None:
    public_tenant_ensure()
    settings.STRIPE_API_BASE = emulator_process
    intent = gateway.payment_intent_create(order_id=1, amount=1500, currency="EUR",
                                           transfer_group="order_1", metadata={})
    event = wait_until(lambda: WebhookEvent.objects.filter(type="payment_intent.created").first(),
                       message="event delivered by the emulator process")
    assert event.data_object["id"] == intent.id
    assert event.raw_body.startswith("{")
