"""Headless payment: checkout returns what a client pays with; the payment details come back again."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from orders.models import Order
from payments import gateway
from tests.factories.orders import sellable_variant

pytestmark = pytest.mark.django_db

ADDRESS = {"name": "Bea", "line1": "Main 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}


@pytest.fixture
def api(shopper):
    client = APIClient(HTTP_HOST="marketplace.localhost")
    client.force_authenticate(shopper)
    return client


def _checkout(api, vendor_a, vendor_b, key="h1"):
    va = sellable_variant(vendor_a, price=1000, stock=4)
    vb = sellable_variant(vendor_b, price=700, stock=4)
    api.post("/api/v1/cart/items/", {"vendor_id": vendor_a.pk, "variant_id": va.pk}, format="json")
    api.post("/api/v1/cart/items/", {"vendor_id": vendor_b.pk, "variant_id": vb.pk, "quantity": 2}, format="json")
    return api.post("/api/v1/checkout/", {"address": ADDRESS}, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_checkout_returns_the_intent_secret_key_customer_and_ephemeral_key(api, shopper, vendor_a, vendor_b, emulator, settings):
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_headless"
    response = _checkout(api, vendor_a, vendor_b)
    assert response.status_code == 201, response.json()
    body = response.json()
    payment, order = body["payment"], body["order"]
    assert "payment_url" not in body and body["order_token"] is None
    intent = gateway.payment_intent_retrieve(payment_intent_id=payment["payment_intent_id"])
    # The server's amount, not anything the client sent; the secret is the intent's own.
    assert (payment["amount"], payment["currency"]) == (order["total_amount"], order["currency"]) == (
        intent.amount, intent.currency)
    assert payment["client_secret"] == intent.client_secret and payment["status"] == "requires_payment_method"
    assert payment["publishable_key"] == "pk_test_headless"
    shopper.refresh_from_db()
    assert payment["customer_id"] == shopper.stripe_customer_id != ""
    assert gateway.payment_intent_retrieve_raw(payment_intent_id=intent.id)["customer"] == shopper.stripe_customer_id
    key = payment["ephemeral_key"]
    assert key["id"].startswith("ephkey_") and key["secret"].startswith("ek_test_") and key["expires"] > 0


def test_the_payment_details_come_back_for_a_pending_order_with_a_fresh_key(api, shopper, vendor_a, vendor_b, emulator):
    first = _checkout(api, vendor_a, vendor_b).json()
    again = api.get(f"/api/v1/orders/{first['order']['id']}/payment/")
    assert again.status_code == 200
    body = again.json()
    assert body["payment_intent_id"] == first["payment"]["payment_intent_id"]
    assert body["client_secret"] == first["payment"]["client_secret"]
    assert body["customer_id"] == first["payment"]["customer_id"]
    assert body["ephemeral_key"]["id"] != first["payment"]["ephemeral_key"]["id"]
    # One Customer per buyer, whatever the number of orders and retries.
    assert api.get(f"/api/v1/orders/{first['order']['id']}/payment/").json()["customer_id"] == body["customer_id"]


def test_no_payment_details_once_the_order_is_not_awaiting_payment(api, vendor_a, vendor_b, emulator):
    order_id = _checkout(api, vendor_a, vendor_b).json()["order"]["id"]
    Order.objects.filter(pk=order_id).update(status=Order.Status.CANCELLED)
    response = api.get(f"/api/v1/orders/{order_id}/payment/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "order_state_conflict"


def test_another_buyers_order_has_no_payment_details_for_you(api, vendor_a, vendor_b, emulator):
    from tests.factories import UserFactory

    order_id = _checkout(api, vendor_a, vendor_b).json()["order"]["id"]
    other = APIClient(HTTP_HOST="marketplace.localhost")
    other.force_authenticate(UserFactory(email="other-buyer@example.com"))
    assert other.get(f"/api/v1/orders/{order_id}/payment/").status_code == 404
    anonymous = APIClient(HTTP_HOST="marketplace.localhost")
    assert anonymous.get(f"/api/v1/orders/{order_id}/payment/").status_code == 401
    assert anonymous.get(f"/api/v1/orders/{order_id}/payment/", HTTP_X_ORDER_TOKEN="forged").status_code == 404


def test_a_tampered_amount_in_the_checkout_body_changes_nothing(api, vendor_a, vendor_b, emulator):
    va = sellable_variant(vendor_a, price=1000, stock=4)
    api.post("/api/v1/cart/items/", {"vendor_id": vendor_a.pk, "variant_id": va.pk}, format="json")
    # (`currency` is the buyer's presentment choice since ADR 0086: tests/orders/test_presentment_currency.py.)
    body = {"address": ADDRESS, "amount": 1, "total_amount": 1, "unit_price_amount": 1}
    payment = api.post("/api/v1/checkout/", body, format="json", HTTP_IDEMPOTENCY_KEY="t").json()["payment"]
    order = Order.objects.get()
    assert (payment["amount"], payment["currency"]) == (order.total_amount, "EUR")
    assert order.total_amount > 1000


def test_emulator_ephemeral_keys_have_stripes_shape_and_need_a_known_customer(emulator):
    from payments.errors import ResourceMissing

    customer_id = gateway.customer_create(key="user:eph", email="eph@example.com", name="", metadata={})
    key = gateway.ephemeral_key_create(customer_id=customer_id)
    raw = gateway._client().v1.ephemeral_keys.create(
        params={"customer": customer_id}, options={"stripe_version": "2024-06-20"}).to_dict()
    # The fields of Stripe's ephemeral_key fixture, and the secret and objects of a creation.
    assert {"id", "object", "created", "expires", "livemode", "secret", "associated_objects"} <= set(raw)
    assert raw["object"] == "ephemeral_key" and raw["livemode"] is False
    assert raw["associated_objects"] == [{"id": customer_id, "type": "customer"}]
    assert raw["expires"] - raw["created"] == 3600 and key.customer_id == customer_id
    with pytest.raises(ResourceMissing):
        gateway.ephemeral_key_create(customer_id="cus_missing")
