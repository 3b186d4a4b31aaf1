"""The payment return page tells the buyer when the payment page reported a failure (found by the
browser journeys: it used to say only "Processing your payment…")."""

from __future__ import annotations

import pytest

from orders.models import Order
from tests.factories.orders import sellable_variant

pytestmark = pytest.mark.django_db


def test_failed_redirect_is_said_while_the_webhook_is_awaited(client_for, paid_order, shopper, vendor_a):
    order = paid_order((vendor_a, sellable_variant(vendor_a, stock=3), 1), copies=False)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PENDING_PAYMENT, paid_at=None)
    client = client_for("marketplace.localhost", shopper)

    failed = client.get(f"/checkout/return/{order.pk}/?redirect_status=failed").content.decode()
    # Before the webhook has told why, the page already offers another card for the same payment.
    assert 'id="payment-retry"' in failed and "Try another card" in failed
    assert "Processing your payment" not in failed
    # It keeps polling for the webhook's verdict and keeps saying so while it polls.
    assert f'hx-get="/orders/{order.pk}/status/?redirect_status=failed" hx-trigger="every 2s"' in failed
    polled = client.get(f"/orders/{order.pk}/status/?redirect_status=failed").content.decode()
    assert 'id="payment-retry"' in polled

    succeeded = client.get(f"/checkout/return/{order.pk}/?redirect_status=succeeded").content.decode()
    assert 'id="payment-retry"' not in succeeded and "Processing your payment" in succeeded

    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID)
    paid = client.get(f"/checkout/return/{order.pk}/?redirect_status=failed").content.decode()
    assert 'id="payment-retry"' not in paid and "Your order is confirmed" in paid
