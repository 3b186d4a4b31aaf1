"""Stock hoarding (issue 18, hole 5): a new account cannot hold a vendor's stock unpaid, nobody
holds more than a few unpaid orders, and a buyer who has paid before is not slowed down."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from orders import services
from orders.errors import NewBuyerQuantityLimit, UnpaidOrdersLimit
from orders.models import Order
from tests.factories import UserFactory
from tests.factories.orders import OrderFactory, order_pay, sellable_variant, variant_stock
from tests.support.addresses import ADDRESS_DE

pytestmark = pytest.mark.django_db

ADDRESS = {"name": "Bea", "line1": "Main 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.ORDERS_MAX_UNPAID_PER_BUYER = 3
    settings.ORDERS_NEW_BUYER_HOURS = 24
    settings.ORDERS_NEW_BUYER_MAX_UNITS_PER_VARIANT = 10
    settings.ORDERS_NEW_BUYER_MAX_UNITS_PER_VENDOR = 30


def _checkout(user, *items, token):
    cart = services.cart_for(user=user, create=True)
    for vendor, variant, quantity in items:
        services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=quantity)
    return services.checkout_submit(user=user, address=ADDRESS_DE, shipping_choice={}, checkout_token=token)


def _established(email):
    """An account that joined a week ago and has paid for an order."""
    user = UserFactory(email=email)
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - dt.timedelta(days=7))
    user.refresh_from_db()
    return user


def test_a_new_account_cannot_check_out_a_vendors_whole_stock(vendor_a):
    variant = sellable_variant(vendor_a, stock=50)
    hoarder = UserFactory(email="hoarder@example.com")

    with pytest.raises(NewBuyerQuantityLimit) as refused:
        _checkout(hoarder, (vendor_a, variant, 50), token="all")

    assert refused.value.code == "new_buyer_quantity_limit"
    assert variant_stock(vendor_a, variant.pk) == 50  # refused before anything was reserved
    assert not Order.objects.exists()
    assert services.cart_for(user=hoarder).items.count() == 1  # the cart stays for a smaller order


def test_a_new_account_cannot_spread_the_hoard_over_variants_or_orders(vendor_a):
    variants = [sellable_variant(vendor_a, stock=50) for _ in range(4)]
    hoarder = UserFactory(email="spread@example.com")
    with pytest.raises(NewBuyerQuantityLimit):  # 4 x 9 = 36 units of one vendor > 30
        _checkout(hoarder, *[(vendor_a, v, 9) for v in variants], token="spread")
    cart = services.cart_for(user=hoarder)
    for item in list(cart.items.all()):  # the refused checkout left the cart as it was
        services.cart_item_remove(cart=cart, item_id=item.pk)

    _checkout(hoarder, (vendor_a, variants[0], 6), token="first")
    with pytest.raises(NewBuyerQuantityLimit):  # 6 held unpaid + 6 more of the same variant > 10
        _checkout(hoarder, (vendor_a, variants[0], 6), token="second")
    assert variant_stock(vendor_a, variants[0].pk) == 50 - 6


def test_a_fourth_unpaid_order_is_refused_until_one_is_paid(vendor_a):
    variant = sellable_variant(vendor_a, stock=50)
    buyer = UserFactory(email="unpaid@example.com")
    orders = [_checkout(buyer, (vendor_a, variant, 1), token=f"t{n}") for n in range(3)]

    with pytest.raises(UnpaidOrdersLimit) as refused:
        _checkout(buyer, (vendor_a, variant, 1), token="t3")
    assert refused.value.status_code == 409 and refused.value.extra == {"limit": 3}
    assert Order.objects.filter(buyer=buyer).count() == 3
    assert variant_stock(vendor_a, variant.pk) == 50 - 3

    order_pay(orders[0])
    assert _checkout(buyer, (vendor_a, variant, 1), token="t3").status == Order.Status.PENDING_PAYMENT


def test_the_unpaid_cap_holds_for_established_buyers_too(vendor_a):
    variant = sellable_variant(vendor_a, stock=50)
    buyer = _established("regular-unpaid@example.com")
    OrderFactory(buyer=buyer, items=[(vendor_a, variant, 1)])
    for n in range(3):
        _checkout(buyer, (vendor_a, variant, 1), token=f"u{n}")
    with pytest.raises(UnpaidOrdersLimit):
        _checkout(buyer, (vendor_a, variant, 1), token="u3")


def test_a_buyer_with_a_paid_history_may_buy_the_whole_stock(vendor_a):
    variant = sellable_variant(vendor_a, stock=51)
    buyer = _established("regular@example.com")
    OrderFactory(buyer=buyer, items=[(vendor_a, variant, 1)])  # paid

    order = _checkout(buyer, (vendor_a, variant, 50), token="bulk")

    assert order.status == Order.Status.PENDING_PAYMENT
    assert variant_stock(vendor_a, variant.pk) == 0


def test_an_old_account_that_never_paid_is_still_new(vendor_a):
    variant = sellable_variant(vendor_a, stock=50)
    sleeper = UserFactory(email="sleeper@example.com")
    User.objects.filter(pk=sleeper.pk).update(date_joined=timezone.now() - dt.timedelta(days=300))
    sleeper.refresh_from_db()
    with pytest.raises(NewBuyerQuantityLimit):
        _checkout(sleeper, (vendor_a, variant, 11), token="old")


def test_the_api_answers_the_limits_with_4xx_error_bodies(vendor_a):
    variant = sellable_variant(vendor_a, stock=50)
    buyer = UserFactory(email="api-hoarder@example.com")
    api = APIClient(HTTP_HOST="marketplace.localhost")
    api.force_authenticate(buyer)
    api.post("/api/v1/cart/items/", {"vendor_id": vendor_a.pk, "variant_id": variant.pk, "quantity": 50}, format="json")

    whole = api.post("/api/v1/checkout/", {"address": ADDRESS, "checkout_token": "a1"}, format="json")

    assert whole.status_code == 400
    assert whole.json()["error"]["code"] == "new_buyer_quantity_limit"
    assert variant_stock(vendor_a, variant.pk) == 50

    cart = services.cart_for(user=buyer)
    services.cart_item_remove(cart=cart, item_id=cart.items.get().pk)
    for n in range(3):
        _checkout(buyer, (vendor_a, variant, 1), token=f"a{n + 2}")
    api.post("/api/v1/cart/items/", {"vendor_id": vendor_a.pk, "variant_id": variant.pk}, format="json")
    fourth = api.post("/api/v1/checkout/", {"address": ADDRESS, "checkout_token": "a9"}, format="json")
    assert fourth.status_code == 409
    assert fourth.json()["error"]["code"] == "unpaid_orders_limit"


def test_the_checkout_page_shows_the_limit_as_a_form_error(client_for, vendor_a):
    variant = sellable_variant(vendor_a, stock=50)
    buyer = UserFactory(email="page-hoarder@example.com")
    cart = services.cart_for(user=buyer, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=variant.pk, quantity=50)
    client = client_for("marketplace.localhost", buyer)

    response = client.post("/checkout/", {"name": "Bea", "line1": "Main 1", "city": "Berlin",
                                          "postal_code": "10115", "country": "DE", "checkout_token": "p1"})

    assert response.status_code == 422
    assert "New accounts can hold at most 10 of one item at a time" in response.content.decode()
    assert variant_stock(vendor_a, variant.pk) == 50
