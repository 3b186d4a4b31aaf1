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
    assert "The payment did not go through." in failed
    assert 'hx-trigger="every 2s"' in failed  # and it keeps polling for the webhook's verdict

    succeeded = client.get(f"/checkout/return/{order.pk}/?redirect_status=succeeded").content.decode()
    assert "The payment did not go through." not in succeeded

    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID)
    paid = client.get(f"/checkout/return/{order.pk}/?redirect_status=failed").content.decode()
    assert "The payment did not go through." not in paid and "Your order is confirmed" in paid
