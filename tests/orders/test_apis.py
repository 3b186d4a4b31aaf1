"""Buyer API: cart, checkout (idempotent), orders; errors in the project's error body."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from orders.models import Order
from tests.factories.orders import sellable_variant

pytestmark = pytest.mark.django_db

ADDRESS = {"name": "Bea", "line1": "Main 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}


@pytest.fixture
def api(shopper):
    client = APIClient(HTTP_HOST="marketplace.localhost")
    client.force_authenticate(shopper)
    return client


def test_cart_add_update_and_read(api, vendor_a):
    va = sellable_variant(vendor_a, price=1000, stock=4)
    created = api.post("/api/v1/cart/items/", {"vendor_id": vendor_a.pk, "variant_id": va.pk, "quantity": 2}, format="json")
    assert created.status_code == 201
    item = created.json()["vendors"][0]["items"][0]
    assert item["quantity"] == 2 and created.json()["subtotal_amount"] == 2000
    patched = api.patch(f"/api/v1/cart/items/{item['id']}/", {"quantity": 3}, format="json")
    assert patched.json()["vendors"][0]["items"][0]["quantity"] == 3
    too_many = api.patch(f"/api/v1/cart/items/{item['id']}/", {"quantity": 5}, format="json")
    assert too_many.status_code == 409
    assert too_many.json()["error"]["code"] == "out_of_stock"
    assert api.delete(f"/api/v1/cart/items/{item['id']}/").status_code == 204
    assert api.get("/api/v1/cart/").json()["vendors"] == []


def test_bad_input_gets_a_4xx_error_body(api, vendor_a):
    assert api.post("/api/v1/cart/items/", {"vendor_id": "x"}, format="json").json()["error"]["code"] == "invalid"
    unknown = api.post("/api/v1/cart/items/", {"vendor_id": vendor_a.pk, "variant_id": 999999}, format="json")
    assert unknown.status_code == 409 and unknown.json()["error"]["code"] == "product_unavailable"
    empty = api.post("/api/v1/checkout/", {"address": ADDRESS, "checkout_token": "t"}, format="json")
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "cart_empty"
    bad_address = api.post("/api/v1/checkout/", {"address": {**ADDRESS, "postal_code": "1"}, "checkout_token": "t"}, format="json")
    assert bad_address.status_code == 400
    assert bad_address.json()["error"]["fields"]["postal_code"]


def test_checkout_twice_with_the_same_key_returns_the_same_order(api, vendor_a, emulator):
    va = sellable_variant(vendor_a, price=1000, stock=4)
    api.post("/api/v1/cart/items/", {"vendor_id": vendor_a.pk, "variant_id": va.pk}, format="json")
    first = api.post("/api/v1/checkout/", {"address": ADDRESS}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    second = api.post("/api/v1/checkout/", {"address": ADDRESS}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["order"]["id"] == second.json()["order"]["id"]
    assert first.json()["payment"]["payment_intent_id"] == second.json()["payment"]["payment_intent_id"] != ""
    assert first.json()["payment"]["client_secret"] == second.json()["payment"]["client_secret"]
    assert Order.objects.count() == 1
    listing = api.get("/api/v1/orders/").json()
    assert [o["id"] for o in listing["results"]] == [first.json()["order"]["id"]]


def test_anonymous_api_calls_are_401(vendor_a):
    client = APIClient(HTTP_HOST="marketplace.localhost")
    assert client.get("/api/v1/cart/").status_code == 401
    assert client.get("/api/v1/orders/").status_code == 401


def test_openapi_schema_documents_the_order_endpoints():
    from drf_spectacular.generators import SchemaGenerator

    public = SchemaGenerator(urlconf="config.urls_public").get_schema(request=None, public=True)["paths"]
    for path in ("/api/v1/cart/", "/api/v1/cart/items/{item_id}/", "/api/v1/checkout/", "/api/v1/orders/{order_id}/"):
        assert path in public
    assert public["/api/v1/checkout/"]["post"]["requestBody"]
    vendor = SchemaGenerator(urlconf="config.urls_tenants").get_schema(request=None, public=True)["paths"]
    assert "/api/v1/vendor/orders/{vendor_order_id}/shipments/" in vendor


def test_unreachable_gateway_keeps_the_order_and_the_same_key_retries_the_payment(api, vendor_a, emulator, settings):
    import socket

    va = sellable_variant(vendor_a, price=1000, stock=4)
    api.post("/api/v1/cart/items/", {"vendor_id": vendor_a.pk, "variant_id": va.pk}, format="json")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port}"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    down = api.post("/api/v1/checkout/", {"address": ADDRESS, "checkout_token": "k2"}, format="json")
    assert down.status_code == 503 and down["Retry-After"] == "5"
    assert down.json()["error"]["code"] == "gateway_unavailable"
    assert down.json()["order"]["status"] == "pending_payment"
    settings.STRIPE_API_BASE = emulator.url
    retry = api.post("/api/v1/checkout/", {"address": ADDRESS, "checkout_token": "k2"}, format="json")
    assert retry.status_code == 200 and retry.json()["order"]["id"] == down.json()["order"]["id"]
    assert retry.json()["payment"]["client_secret"].startswith(retry.json()["payment"]["payment_intent_id"])
    assert retry.json()["payment_error"] is None
