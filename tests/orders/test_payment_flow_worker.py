"""The whole paid path through real parts: emulator → signed webhook intake → Celery worker →
order paid → vendor copies (task) → vendor ships → sync task → buyer sees tracking."""

from __future__ import annotations

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from fulfillment import services as fulfillment_services
from fulfillment.models import VendorOrder
from orders import services
from orders.models import Order, SubOrder
from payments import gateway
from payments.models import WebhookEvent
from payouts.models import JournalEntry
from tests.factories.orders import sellable_variant
from tests.support.addresses import ADDRESS_DE
from tests.support.stripe import flush
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_paid_order_reaches_both_vendors_and_tracking_comes_back(task_worker, emulator, webhooks, vendor_a, vendor_b):
    from payments.webhooks import webhook_event_receive
    from tests.factories import UserFactory

    def intake(delivery) -> None:
        # What the /webhooks/stripe/ view does: verify, store once, queue the applier on commit.
        from django.db import connection

        try:
            webhook_event_receive(payload=delivery.payload, signature=delivery.signature)
        finally:
            connection.close()

    webhooks.forward = intake
    buyer = UserFactory(email="worker-buyer@example.com")
    va = sellable_variant(vendor_a, price=1500, stock=5)
    vb = sellable_variant(vendor_b, price=900, stock=5)
    cart = services.cart_for(user=buyer, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=va.pk, quantity=1)
    services.cart_item_add(cart=cart, vendor_id=vendor_b.pk, variant_id=vb.pk, quantity=2)
    order = services.checkout_submit(user=buyer, address=ADDRESS_DE, shipping_choice={}, checkout_token="w")
    services.order_payment_start(order=order, return_url="http://marketplace.localhost/checkout/return/")
    order.refresh_from_db()
    gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method="pm_card_visa")
    flush(emulator)

    wait_until(lambda: Order.objects.filter(pk=order.pk, status=Order.Status.PAID).exists(), message="paid")
    wait_until(lambda: SubOrder.objects.filter(order=order, vendor_notified_at__isnull=False).count() == 2,
               message="vendor copies")
    with schema_context(vendor_a.store.schema_name):
        copy = VendorOrder.objects.get(order_id=order.pk)
        line = copy.lines.get()
        fulfillment_services.vendor_order_ship(vendor_order_id=copy.pk, quantities={line.pk: 1},
                                               carrier="DHL", tracking_number="JJD0003900070000000001")
    wait_until(lambda: SubOrder.objects.filter(order=order, vendor=vendor_a, status="fulfilled").exists(),
               message="sync")
    sub_a = SubOrder.objects.get(order=order, vendor=vendor_a)
    assert sub_a.tracking[0]["tracking_number"] == "JJD0003900070000000001"
    assert Order.objects.get(pk=order.pk).status == Order.Status.PARTIALLY_FULFILLED
    assert JournalEntry.objects.filter(key=f"payment_captured:order:{order.pk}").count() == 1
    assert WebhookEvent.objects.get(type="payment_intent.succeeded").status == "applied"
    wait_until(lambda: any(m.to == [buyer.email] for m in mail.outbox), message="confirmation mail")
