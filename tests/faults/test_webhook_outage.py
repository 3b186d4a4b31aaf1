"""The webhook endpoint down for an hour of the gateway's time: Stripe's retries bring the whole
backlog once it is back, a real worker applies it, and reconciliation finds nothing missing."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from payments.models import WebhookEvent
from tests.payments.events import control
from tests.payments.flows import full_flow, gateway_events
from tests.support.waiting import wait_until
from vendors.models import Vendor

pytestmark = pytest.mark.django_db(transaction=True)


class Outage:
    """In front of the platform's webhook endpoint: 503 while `down`, else forwards the request
    (body and signature) to it and answers what it answered. The emulator keeps one URL."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.down = True
        self.refused = 0
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if self.down:
            with self.lock:
                self.refused += 1
            return Response("down for maintenance", status=503)(environ, start_response)
        forward = urllib.request.Request(self.target, data=request.get_data(), method="POST", headers={
            "Content-Type": "application/json", "Stripe-Signature": request.headers.get("Stripe-Signature", ""),
            "Host": "marketplace.localhost"})
        try:
            with urllib.request.urlopen(forward, timeout=30) as answer:
                status, body = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read()
        return Response(body, status=status)(environ, start_response)


@pytest.fixture
def outage(live_server: Any) -> Iterator[tuple[Outage, str]]:
    proxy = Outage(live_server.url + "/webhooks/stripe/")
    server = make_server("127.0.0.1", 0, proxy, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield proxy, f"http://127.0.0.1:{server.server_port}/webhooks/stripe/"
    server.shutdown()


def _link(vendor: Vendor) -> Any:
    def link(account_id: str) -> None:
        Vendor.objects.filter(pk=vendor.pk).update(stripe_account_id=account_id)

    return link


def _advance(emulator: Any, seconds: int) -> None:
    control(emulator, "/_emulator/clock/advance", {"seconds": seconds})
    control(emulator, "/_emulator/webhooks/flush", {"timeout": 30})


def test_an_hour_long_endpoint_outage_is_caught_up_and_reconciles(
    gateway_on_emulator: Any, outage: tuple[Outage, str], task_worker: Any, vendor_a: Vendor,
) -> None:
    emulator = gateway_on_emulator
    proxy, url = outage
    control(emulator, "/_emulator/webhooks/config", {"url": url, "paused": False, "retry_schedule": "stripe"})

    # Payments, a refund, a transfer and its reversal, a payout, two disputes: while it is down.
    flow = full_flow(vendor_id=vendor_a.pk, link_vendor=_link(vendor_a))
    expected = {e["id"] for e in gateway_events(flow["account_id"])}
    control(emulator, "/_emulator/webhooks/flush", {"timeout": 30})
    for _ in range(60):  # an hour of the gateway's time, a minute at a time
        _advance(emulator, 60)
    assert proxy.refused >= 5 * len(expected)  # every event tried again and again
    assert not WebhookEvent.objects.exists()

    proxy.down = False
    back = time.monotonic()
    _advance(emulator, 2 * 3600)  # every scheduled retry falls due

    wait_until(lambda: set(WebhookEvent.objects.values_list("stripe_id", flat=True)) == expected,
               timeout=60, message="every event of the outage received")
    wait_until(lambda: not WebhookEvent.objects.filter(status__in=["received", "failed"]).exists(),
               timeout=60, message="every event applied")
    assert control(emulator, "/_emulator/webhooks/deliveries")["scheduled"] == []

    out = StringIO()
    call_command("reconcile", "--since", "2000-01-01", "--until", "2100-01-01", stdout=out)
    assert "0 mismatch(es)" in out.getvalue(), out.getvalue()
    print(f"webhook outage: {len(expected)} events, {proxy.refused} deliveries refused during the hour, "
          f"backlog applied {time.monotonic() - back:.1f} s after the endpoint came back")
