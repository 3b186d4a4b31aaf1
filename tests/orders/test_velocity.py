"""Velocity rules: orders, distinct cards and failed payments per buyer and per address per hour.
A hard limit refuses the checkout (nothing reserved; 429 on the API, a form error on the page); a
soft limit sends the paid order to the review queue; new accounts get stricter limits."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from orders import services
from orders.errors import VelocityLimit
from orders.models import Order, OrderReview
from orders.services.velocity import DEFAULT_LIMITS, velocity_counts
from payments import gateway
from payments.errors import CardDeclined
from payments.models import PaymentAttempt
from tests.factories import UserFactory
from tests.factories.orders import OrderFactory, order_pay, sellable_variant, variant_stock
from tests.support.addresses import ADDRESS_DE
from tests.support.stripe import deliver_events

pytestmark = pytest.mark.django_db

ADDRESS = {"name": "Bea", "line1": "Main 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}
RETURN_URL = "http://marketplace.localhost/checkout/return/"


@pytest.fixture(autouse=True)
def _production_limits(settings):
    settings.ORDERS_VELOCITY_LIMITS = DEFAULT_LIMITS
    settings.ORDERS_VELOCITY_WINDOW_MINUTES = 60
    settings.ORDERS_NEW_BUYER_HOURS = 24
    settings.ORDERS_MAX_UNPAID_PER_BUYER = 3


def _checkout(user, vendor, variant, *, token, ip=None):
    cart = services.cart_for(user=user, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=1)
    return services.checkout_submit(user=user, address=ADDRESS_DE, shipping_choice={}, checkout_token=token,
                                    client_ip=ip)


def _established(email):
    user = UserFactory(email=email)
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - dt.timedelta(days=7))
    user.refresh_from_db()
    return user


def test_a_new_account_past_the_soft_order_limit_is_reviewed_and_past_the_hard_one_refused(vendor_a):
    # new_buyer orders: more than 2 an hour go to review, the 5th is refused.
    variant = sellable_variant(vendor_a, stock=20)
    buyer = UserFactory(email="fast@example.com")
    orders = [order_pay(_checkout(buyer, vendor_a, variant, token=f"o{n}")) for n in range(4)]

    assert [OrderReview.objects.filter(order=o).exists() for o in orders] == [False, False, True, True]
    assert OrderReview.objects.get(order=orders[2]).reasons == ["velocity:buyer:orders"]
    with pytest.raises(VelocityLimit) as refused:
        _checkout(buyer, vendor_a, variant, token="o5")
    assert refused.value.status_code == 429 and refused.value.extra == {
        "per": "buyer", "metric": "orders", "limit": 4}
    assert variant_stock(vendor_a, variant.pk) == 16  # nothing reserved for the refused one
    assert Order.objects.filter(buyer=buyer).count() == 4


def test_orders_older_than_the_window_do_not_count(vendor_a):
    variant = sellable_variant(vendor_a, stock=20)
    buyer = UserFactory(email="patient@example.com")
    for n in range(4):
        order_pay(_checkout(buyer, vendor_a, variant, token=f"w{n}"))
    Order.objects.filter(buyer=buyer).update(created_at=timezone.now() - dt.timedelta(minutes=61))

    order = _checkout(buyer, vendor_a, variant, token="w5")
    assert order.status == Order.Status.PENDING_PAYMENT


def test_an_established_buyer_gets_the_higher_limits(vendor_a):
    variant = sellable_variant(vendor_a, stock=20)
    buyer = _established("regular@example.com")
    OrderFactory(buyer=buyer, items=[(vendor_a, variant, 1)])  # paid before: not new
    for n in range(4):
        order_pay(_checkout(buyer, vendor_a, variant, token=f"e{n}"))

    assert not OrderReview.objects.filter(order__buyer=buyer).exists()  # 5 an hour: within its soft limit

    sixth = order_pay(_checkout(buyer, vendor_a, variant, token="e5"))  # a new account's 5th is refused
    assert sixth.status == Order.Status.PAID
    assert list(OrderReview.objects.filter(order__buyer=buyer).values_list("order_id", "reasons")) == [
        (sixth.pk, ["velocity:buyer:orders"])]


def test_the_address_limit_counts_every_account_behind_one_address(vendor_a, settings):
    settings.ORDERS_VELOCITY_LIMITS = {**DEFAULT_LIMITS,
                                       "address": {"orders": (1, 2), "cards": (5, 10), "failed_payments": (6, 15)}}
    variant = sellable_variant(vendor_a, stock=20)
    first, second, third = (UserFactory(email=f"flat{n}@example.com") for n in range(3))
    _checkout(first, vendor_a, variant, token="a1", ip="203.0.113.9")
    _checkout(second, vendor_a, variant, token="a2", ip="203.0.113.9")

    with pytest.raises(VelocityLimit) as refused:
        _checkout(third, vendor_a, variant, token="a3", ip="203.0.113.9")
    assert refused.value.extra["per"] == "address"
    assert _checkout(third, vendor_a, variant, token="a4", ip="203.0.113.10").client_ip == "203.0.113.10"


def _decline(order, card="pm_card_chargeDeclined"):
    with pytest.raises(CardDeclined):
        gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method=card)


def test_failed_payments_past_the_hard_limit_refuse_checkout_on_page_and_api(
    shopper, vendor_a, emulator, webhooks, client_for,
):
    # new_buyer failed payments: the 4th failure in an hour stops further checkouts (two cards only:
    # under the distinct-card limit).
    variant = sellable_variant(vendor_a, stock=20)
    for token in ("f1", "f2"):
        order = _checkout(shopper, vendor_a, variant, token=token)
        services.order_payment_start(order=order, return_url=RETURN_URL)
        order.refresh_from_db()
        for card in ("pm_card_chargeDeclined", "pm_card_chargeDeclinedInsufficientFunds"):
            _decline(order, card)
        deliver_events(emulator, webhooks, "charge.failed", object_id=order.payment_intent_id,
                       key="payment_intent", count=2)
    counts = velocity_counts(user=shopper, client_ip=None)["buyer"]
    assert (counts.orders, counts.cards, counts.failed_payments) == (2, 2, 4)
    with pytest.raises(VelocityLimit) as refused:
        _checkout(shopper, vendor_a, variant, token="f3")
    assert refused.value.extra["metric"] == "failed_payments"

    api = APIClient(HTTP_HOST="marketplace.localhost")
    api.force_authenticate(shopper)
    api.post("/api/v1/cart/items/", {"vendor_id": vendor_a.pk, "variant_id": variant.pk}, format="json")
    answer = api.post("/api/v1/checkout/", {"address": ADDRESS, "checkout_token": "f4"}, format="json")
    assert answer.status_code == 429
    assert answer.json()["error"]["code"] == "velocity_limit"
    page = client_for("marketplace.localhost", shopper).post(
        "/checkout/", {**ADDRESS, "checkout_token": "f5"})
    assert page.status_code == 422 and "Too many orders or payment attempts" in page.content.decode()
    assert Order.objects.filter(buyer=shopper).count() == 2 and variant_stock(vendor_a, variant.pk) == 18


def test_a_second_card_in_an_hour_sends_a_new_accounts_paid_order_to_review(shopper, vendor_a, emulator, webhooks):
    variant = sellable_variant(vendor_a, stock=20)
    order = _checkout(shopper, vendor_a, variant, token="c1")
    services.order_payment_start(order=order, return_url=RETURN_URL)
    order.refresh_from_db()
    _decline(order, "pm_card_chargeDeclinedInsufficientFunds")
    deliver_events(emulator, webhooks, "charge.failed", object_id=order.payment_intent_id, key="payment_intent")
    gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method="pm_card_mastercard")
    deliver_events(emulator, webhooks, "payment_intent.succeeded", object_id=order.payment_intent_id)

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert len(set(PaymentAttempt.objects.filter(payment_intent_id=order.payment_intent_id)
                   .values_list("card_fingerprint", flat=True))) == 2
    assert OrderReview.objects.get(order=order).reasons == ["velocity:buyer:cards"]
