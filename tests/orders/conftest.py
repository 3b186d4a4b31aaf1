"""Fixtures for cart, checkout and payment tests: the Stripe emulator, captured webhooks, buyers."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import override_settings
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from orders.addresses import Address
from stripe_emulator.server import EmulatorServer

WEBHOOK_SECRET = "whsec_orders_tests"

ADDRESS_DE = Address(name="Bea Buyer", line1="Hauptstr. 1", line2="", city="Berlin", region="",
                     postal_code="10115", country="DE")
ADDRESS_US = Address(name="Bea Buyer", line1="1 Market St", line2="", city="San Francisco",
                     region="CA", postal_code="94103", country="US")


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, message: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout}s {message}")


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

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
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


@pytest.fixture
def webhooks() -> Iterator[WebhookCapture]:
    capture = WebhookCapture()
    server = make_server("127.0.0.1", 0, capture, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    capture.url = f"http://127.0.0.1:{server.server_port}/webhooks/stripe/"  # type: ignore[attr-defined]
    yield capture
    server.shutdown()


@pytest.fixture
def emulator(webhooks: WebhookCapture) -> Iterator[EmulatorServer]:
    server = EmulatorServer(port=0, webhook_url=webhooks.url, webhook_secret=WEBHOOK_SECRET).start()  # type: ignore[attr-defined]
    with override_settings(STRIPE_API_BASE=server.url, STRIPE_SECRET_KEY="",
                           STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, STRIPE_RETRY_BASE_SECONDS=0.01):
        yield server
    server.stop()


def flush(emulator: EmulatorServer) -> None:
    import urllib.request

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


@pytest.fixture
def shopper(vendor_a: Any, vendor_b: Any) -> Any:
    from tests.factories import UserFactory

    return UserFactory(email="shopper@example.com")


@pytest.fixture
def paid_order(shopper: Any, emulator: EmulatorServer, webhooks: WebhookCapture) -> Callable[..., Any]:
    """`paid_order((vendor, variant, qty), ...)`: checkout, pay on the emulator, apply the webhook,
    and create the vendors' fulfilment copies (the task body, run here)."""

    def make(*items: Any, token: str = "paid", copies: bool = True) -> Any:
        from fulfillment.tasks import vendor_order_copy
        from orders import services
        from payments import gateway

        cart = services.cart_for(user=shopper, create=True)
        for vendor, variant, quantity in items:
            services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=quantity)
        order = services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token=token)
        services.order_payment_start(order=order, return_url="http://marketplace.localhost/checkout/return/")
        order.refresh_from_db()
        gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method="pm_card_visa")
        flush(emulator)
        delivery = wait_until(lambda: [d for d in webhooks.of_type("payment_intent.succeeded")
                                       if d.event["data"]["object"]["id"] == order.payment_intent_id])
        deliver(delivery[0])
        if copies:
            for sub in order.sub_orders.all():
                vendor_order_copy(sub.pk)
        order.refresh_from_db()
        return order

    return make
