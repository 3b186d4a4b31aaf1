"""The payment return page tells the buyer what happened to the payment while the webhook is
awaited (found by the browser journeys: it used to say only "Processing your payment…"). What it
says comes from the PaymentIntent, read server-side; the return URL's query is not trusted."""

from __future__ import annotations

import pytest

from orders import services
from orders.models import Order
from payments import gateway
from payments.errors import CardDeclined
from tests.factories.orders import sellable_variant
from tests.support.addresses import ADDRESS_DE

pytestmark = pytest.mark.django_db


def test_failed_payment_is_said_while_the_webhook_is_awaited(client_for, shopper, vendor_a, emulator):
    cart = services.cart_for(user=shopper, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=sellable_variant(vendor_a, stock=3).pk)
    order = services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="r1")
    services.order_payment_prepare(order=order)
    with pytest.raises(CardDeclined):
        gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id,
                                       payment_method="pm_card_chargeDeclined")
    client = client_for("marketplace.localhost", shopper)

    # The query claims success; the PaymentIntent says the attempt failed.
    failed = client.get(f"/checkout/return/{order.pk}/?redirect_status=succeeded").content.decode()
    # Before the webhook has told why, the page already offers another card for the same payment.
    assert 'id="payment-retry"' in failed and "Try another card" in failed
    assert "Processing your payment" not in failed and "Payment received" not in failed
    # It keeps polling for the webhook's verdict and keeps saying so while it polls.
    assert f'hx-get="/orders/{order.pk}/status/?redirect_status=failed" hx-trigger="every 2s"' in failed
    polled = client.get(f"/orders/{order.pk}/status/?redirect_status=failed").content.decode()
    assert 'id="payment-retry"' in polled

    gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method="pm_card_visa")
    succeeded = client.get(f"/checkout/return/{order.pk}/?redirect_status=failed").content.decode()
    assert 'id="payment-retry"' not in succeeded and "Payment received" in succeeded

    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID)
    paid = client.get(f"/checkout/return/{order.pk}/?redirect_status=failed").content.decode()
    assert 'id="payment-retry"' not in paid and "Your order is confirmed" in paid
