"""Radar through the real webhook path: a highest-risk card is blocked and the order takes the
failure path; an elevated-risk payment's `payment_intent.succeeded` holds the order for review."""

from __future__ import annotations

import pytest

from orders import services
from orders.models import Order, OrderReview
from payments import gateway
from payments.errors import CardDeclined
from payments.models import PaymentAttempt, WebhookEvent
from tests.factories.orders import sellable_variant, variant_stock
from tests.support.addresses import ADDRESS_DE
from tests.support.stripe import deliver_events

pytestmark = pytest.mark.django_db

RETURN_URL = "http://marketplace.localhost/checkout/return/"


def _order(shopper, vendor, variant):
    cart = services.cart_for(user=shopper, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=2)
    order = services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="r1")
    services.order_payment_start(order=order, return_url=RETURN_URL)
    order.refresh_from_db()
    return order


@pytest.mark.parametrize("card", ["pm_card_riskLevelHighest", "pm_card_chargeDeclinedFraudulent"])
def test_a_highest_risk_card_is_blocked_and_the_order_takes_the_failure_path(
    shopper, vendor_a, emulator, webhooks, settings, card,
):
    settings.ORDERS_MAX_FAILED_PAYMENTS = 1
    variant = sellable_variant(vendor_a, price=1500, stock=5)
    order = _order(shopper, vendor_a, variant)
    assert variant_stock(vendor_a, variant.pk) == 3
    with pytest.raises(CardDeclined) as declined:
        gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method=card)
    assert declined.value.gateway_code == "card_declined"

    deliver_events(emulator, webhooks, "charge.failed", object_id=order.payment_intent_id, key="payment_intent")
    deliver_events(emulator, webhooks, "payment_intent.payment_failed", object_id=order.payment_intent_id)

    attempt = PaymentAttempt.objects.get(payment_intent_id=order.payment_intent_id)
    assert (attempt.status, attempt.outcome_type, attempt.outcome_reason, attempt.risk_level) == (
        "failed", "blocked", "highest_risk_level", "highest")
    assert attempt.network_status == "not_sent_to_network" and attempt.risk_score >= 75
    order.refresh_from_db()
    assert order.status == Order.Status.PAYMENT_FAILED and order.paid_at is None
    assert order.failure_code == "fraudulent" and order.failure_reason == "Your card was declined."
    assert order.stock_released and variant_stock(vendor_a, variant.pk) == 5
    assert not OrderReview.objects.filter(order=order).exists()


def test_an_elevated_risk_payment_webhook_holds_the_order(shopper, vendor_a, emulator, webhooks):
    variant = sellable_variant(vendor_a, price=1500, stock=5)
    order = _order(shopper, vendor_a, variant)
    gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id,
                                   payment_method="pm_card_riskLevelElevated")

    # `payment_intent.succeeded` first: the charge is fetched, whatever the order of arrival.
    deliver_events(emulator, webhooks, "payment_intent.succeeded", object_id=order.payment_intent_id)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    review = OrderReview.objects.get(order=order)
    assert review.status == "pending" and review.reasons == ["radar_elevated"]
    deliver_events(emulator, webhooks, "charge.succeeded", object_id=order.payment_intent_id, key="payment_intent")
    assert PaymentAttempt.objects.filter(payment_intent_id=order.payment_intent_id).count() == 1
    assert WebhookEvent.objects.get(type="charge.succeeded").status == WebhookEvent.Status.APPLIED
