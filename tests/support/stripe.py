"""The Stripe emulator from a test: captured signed deliveries, applying them, its control API."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.waiting import wait_until

WEBHOOK_SECRET = "whsec_orders_tests"


@dataclass
class Delivery:
    payload: bytes
    signature: str

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.payload)


@dataclass
class WebhookCapture:
    """Receives the emulator's signed deliveries; `forward` hands them to a callable when set."""

    deliveries: list[Delivery] = field(default_factory=list)
    forward: Callable[[Delivery], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        from werkzeug.wrappers import Request, Response

        request = Request(environ)
        delivery = Delivery(request.get_data(), request.headers.get("Stripe-Signature", ""))
        with self.lock:
            self.deliveries.append(delivery)
        if self.forward is not None:
            self.forward(delivery)
        return Response("ok")(environ, start_response)

    def of_type(self, event_type: str) -> list[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if d.event["type"] == event_type]


def flush(emulator: Any) -> None:
    """Make the emulator deliver every pending webhook now."""
    request = urllib.request.Request(emulator.url + "/_emulator/webhooks/flush", data=b"{}",
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def deliver(delivery: Delivery) -> Any:
    """The real intake (signature check, store once) then the real applier, in this thread."""
    from payments.webhooks import webhook_event_apply, webhook_event_receive

    event, _created = webhook_event_receive(payload=delivery.payload, signature=delivery.signature)
    return webhook_event_apply(event_id=event.pk)


def resign(delivery: Delivery) -> Delivery:
    """The same event signed again now (a late redelivery must pass the timestamp tolerance)."""
    timestamp = int(time.time())
    mac = hmac.new(WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + delivery.payload, hashlib.sha256)
    return Delivery(delivery.payload, f"t={timestamp},v1={mac.hexdigest()}")


def deliver_events(server: Any, capture: WebhookCapture, event_type: str, *, object_id: str | None = None,
                   key: str = "id", count: int = 1) -> list[Any]:
    """Flush the emulator, wait for `count` deliveries of this type (for this object), apply them."""
    flush(server)

    def found() -> list[Any]:
        items = [d for d in capture.of_type(event_type)
                 if object_id is None or d.event["data"]["object"].get(key) == object_id]
        return items if len(items) >= count else []

    deliveries = wait_until(found, message=event_type)
    for delivery in deliveries:
        deliver(delivery)
    return deliveries


def emulator_post(emulator: Any, path: str, body: dict[str, Any] | None = None) -> Any:
    """POST to the emulator's control API (`/_emulator/...`)."""
    request = urllib.request.Request(emulator.url + path, data=json.dumps(body or {}).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def connect(vendor: Any, emulator: Any) -> str:
    """Give the vendor an emulator Express account that finished onboarding."""
    from payments import gateway
    from vendors.models import Vendor

    account = gateway.account_create(vendor_id=vendor.pk, country="DE", email=f"{vendor.slug}@example.com",
                                      business_name=vendor.name)
    emulator_post(emulator, f"/_emulator/accounts/{account.id}/complete_onboarding")
    Vendor.objects.filter(pk=vendor.pk).update(stripe_account_id=account.id, payouts_enabled=True,
                                               stripe_details_submitted=True)
    vendor.stripe_account_id = account.id
    return account.id
