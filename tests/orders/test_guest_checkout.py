"""Guest checkout through the API: a cart token, an email, the order's link, the account offered after."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from orders import services
from orders.models import Cart, Order
from tenants.services import public_tenant_ensure
from tests.factories.orders import sellable_variant

pytestmark = pytest.mark.django_db

ADDRESS = {"name": "Gil", "line1": "Main 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}


@pytest.fixture
def guest(db):
    # A committing test before this one may have flushed the public tenant's hosts.
    public_tenant_ensure()
    return APIClient(HTTP_HOST="marketplace.localhost")


def _guest_cart(guest, vendor, *, price=1000, stock=5, quantity=1):
    variant = sellable_variant(vendor, price=price, stock=stock)
    token = guest.post("/api/v1/cart/").json()["cart_token"]
    added = guest.post("/api/v1/cart/items/", {"vendor_id": vendor.pk, "variant_id": variant.pk, "quantity": quantity},
                       format="json", HTTP_X_CART_TOKEN=token)
    assert added.status_code == 201, added.json()
    return token, variant


def test_a_guest_checks_out_with_an_email_and_reads_the_order_with_its_token(guest, vendor_a, emulator):
    token, _variant = _guest_cart(guest, vendor_a, quantity=2)
    assert guest.get("/api/v1/cart/", HTTP_X_CART_TOKEN=token).json()["subtotal_amount"] == 2000
    response = guest.post("/api/v1/checkout/", {"address": ADDRESS, "email": "Guest@Example.com"}, format="json",
                          HTTP_X_CART_TOKEN=token, HTTP_IDEMPOTENCY_KEY="g1")
    assert response.status_code == 201, response.json()
    body = response.json()
    order = Order.objects.get(pk=body["order"]["id"])
    assert order.email == "guest@example.com" and order.buyer.is_guest and not order.buyer.has_usable_password()
    assert body["payment"]["client_secret"] and body["order_token"]
    detail = guest.get(f"/api/v1/orders/{order.pk}/", HTTP_X_ORDER_TOKEN=body["order_token"])
    assert detail.status_code == 200 and detail.json()["total_amount"] == order.total_amount
    payment = guest.get(f"/api/v1/orders/{order.pk}/payment/", HTTP_X_ORDER_TOKEN=body["order_token"])
    assert payment.json()["payment_intent_id"] == body["payment"]["payment_intent_id"]
    # The same key again: the same order, not a second one; the used cart token is gone.
    again = guest.post("/api/v1/checkout/", {"address": ADDRESS, "email": "guest@example.com"}, format="json",
                       HTTP_X_CART_TOKEN=token, HTTP_IDEMPOTENCY_KEY="g1")
    assert again.status_code == 200 and again.json()["order"]["id"] == order.pk
    assert not Cart.objects.filter(token=token).exists()


def test_an_order_token_opens_only_its_own_order(guest, vendor_a, emulator):
    token, _ = _guest_cart(guest, vendor_a)
    first = guest.post("/api/v1/checkout/", {"address": ADDRESS, "email": "one@example.com"}, format="json",
                       HTTP_X_CART_TOKEN=token, HTTP_IDEMPOTENCY_KEY="a").json()
    token2, _ = _guest_cart(guest, vendor_a)
    second = guest.post("/api/v1/checkout/", {"address": ADDRESS, "email": "two@example.com"}, format="json",
                        HTTP_X_CART_TOKEN=token2, HTTP_IDEMPOTENCY_KEY="b").json()
    stolen = guest.get(f"/api/v1/orders/{second['order']['id']}/", HTTP_X_ORDER_TOKEN=first["order_token"])
    assert stolen.status_code == 401
    tampered = first["order_token"][:-2] + ("AA" if not first["order_token"].endswith("AA") else "BB")
    assert guest.get(f"/api/v1/orders/{first['order']['id']}/", HTTP_X_ORDER_TOKEN=tampered).status_code == 404


def test_an_email_of_an_existing_account_is_asked_to_sign_in(guest, vendor_a, emulator):
    from tests.factories import UserFactory

    UserFactory(email="member@example.com")
    token, _ = _guest_cart(guest, vendor_a)
    response = guest.post("/api/v1/checkout/", {"address": ADDRESS, "email": "member@example.com"}, format="json",
                          HTTP_X_CART_TOKEN=token, HTTP_IDEMPOTENCY_KEY="m")
    assert response.status_code == 409 and response.json()["error"]["code"] == "account_exists"
    assert not Order.objects.exists()


def test_guest_checkout_needs_an_email_and_a_cart(guest, vendor_a):
    token, _ = _guest_cart(guest, vendor_a)
    no_email = guest.post("/api/v1/checkout/", {"address": ADDRESS}, format="json", HTTP_X_CART_TOKEN=token)
    assert no_email.status_code == 400 and no_email.json()["error"]["code"] == "guest_details_missing"
    bad_email = guest.post("/api/v1/checkout/", {"address": ADDRESS, "email": "nope"}, format="json",
                           HTTP_X_CART_TOKEN=token)
    assert bad_email.status_code == 400
    unknown = guest.post("/api/v1/checkout/", {"address": ADDRESS, "email": "x@example.com"}, format="json",
                         HTTP_X_CART_TOKEN="not-a-cart")
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "cart_empty"
    assert guest.post("/api/v1/cart/items/", {"vendor_id": vendor_a.pk, "variant_id": 1}, format="json",
                      HTTP_X_CART_TOKEN="not-a-cart").json()["error"]["code"] == "cart_token_invalid"


def test_the_guest_claims_the_account_and_then_the_link_asks_to_sign_in(guest, vendor_a, emulator):
    token, _ = _guest_cart(guest, vendor_a)
    body = guest.post("/api/v1/checkout/", {"address": ADDRESS, "email": "claim@example.com"}, format="json",
                      HTTP_X_CART_TOKEN=token, HTTP_IDEMPOTENCY_KEY="c").json()
    url = f"/api/v1/orders/{body['order']['id']}/claim/"
    # The checkout's token views and pays the order; anyone may type anyone's email at checkout,
    # so only the confirmation email's link (it proves the mailbox) turns the guest into an account.
    squatter = guest.post(url, {"password": "a-long-Secret-42"}, format="json", HTTP_X_ORDER_TOKEN=body["order_token"])
    assert squatter.status_code == 403 and squatter.json()["error"]["code"] == "claim_needs_emailed_link"
    assert get_user_model().objects.get(email="claim@example.com").is_guest
    emailed = services.order_link_token(order=Order.objects.get(pk=body["order"]["id"]), claim=True)
    weak = guest.post(url, {"password": "1234"}, format="json", HTTP_X_ORDER_TOKEN=emailed)
    assert weak.status_code == 400 and weak.json()["error"]["code"] == "password_invalid"
    claimed = guest.post(url, {"password": "a-long-Secret-42"}, format="json", HTTP_X_ORDER_TOKEN=emailed)
    assert claimed.status_code == 200
    user = get_user_model().objects.get(email="claim@example.com")
    assert not user.is_guest and user.check_password("a-long-Secret-42")
    assert list(user.orders.values_list("pk", flat=True)) == [body["order"]["id"]]
    again = guest.post(url, {"password": "another-Secret-43"}, format="json", HTTP_X_ORDER_TOKEN=emailed)
    assert again.status_code == 409 and again.json()["error"]["code"] == "account_exists"
    assert get_user_model().objects.get(pk=user.pk).check_password("a-long-Secret-42")


def test_guest_limits_treat_the_guest_as_a_new_account(guest, vendor_a, emulator, settings):
    settings.ORDERS_NEW_BUYER_MAX_UNITS_PER_VARIANT = 3
    token, _ = _guest_cart(guest, vendor_a, stock=50, quantity=4)
    response = guest.post("/api/v1/checkout/", {"address": ADDRESS, "email": "hoard@example.com"}, format="json",
                          HTTP_X_CART_TOKEN=token, HTTP_IDEMPOTENCY_KEY="h")
    assert response.status_code == 400 and response.json()["error"]["code"] == "new_buyer_quantity_limit"


def test_new_guest_carts_are_rate_limited_per_address(guest, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "guest_cart": "2/h/ip"}
    assert [guest.post("/api/v1/cart/").status_code for _ in range(3)] == [201, 201, 429]


def test_signing_in_with_a_cart_token_merges_the_guest_cart_within_stock(guest, shopper, vendor_a):
    token, variant = _guest_cart(guest, vendor_a, stock=3, quantity=2)
    cart = services.cart_for(user=shopper, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=variant.pk, quantity=2)
    member = APIClient(HTTP_HOST="marketplace.localhost")
    member.force_authenticate(shopper)
    merged = member.get("/api/v1/cart/", HTTP_X_CART_TOKEN=token).json()
    assert [i["quantity"] for v in merged["vendors"] for i in v["items"]] == [3]  # 2 + 2, stock 3
    assert not Cart.objects.filter(token=token, user__isnull=True).exists()


def test_a_guest_cannot_touch_a_members_cart_item(guest, shopper, vendor_a):
    variant = sellable_variant(vendor_a, price=1000, stock=5)
    cart = services.cart_for(user=shopper, create=True)
    item = services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=variant.pk, quantity=1)
    token = guest.post("/api/v1/cart/").json()["cart_token"]
    assert guest.delete(f"/api/v1/cart/items/{item.pk}/", HTTP_X_CART_TOKEN=token).status_code == 404
    assert guest.delete(f"/api/v1/cart/items/{item.pk}/", HTTP_X_CART_TOKEN=cart.token).status_code == 400
    assert cart.items.count() == 1
