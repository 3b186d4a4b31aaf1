"""The real path: emulator → signed webhook intake → Celery worker → order paid → transfers sent."""

from __future__ import annotations

import pytest

from orders import services
from payments import gateway
from payouts.models import JournalEntry, Transfer
from tests.factories.orders import sellable_variant
from tests.support.addresses import ADDRESS_DE
from tests.support.stripe import connect, flush
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_payment_webhook_creates_and_sends_transfers_through_the_worker(
    task_worker, emulator, webhooks, vendor_a, vendor_b
):
    from django.db import connection

    from payments.webhooks import webhook_event_receive
    from tests.factories import UserFactory

    def intake(delivery) -> None:
        try:
            webhook_event_receive(payload=delivery.payload, signature=delivery.signature)
        except Exception:
            pass
        finally:
            connection.close()

    webhooks.forward = intake
    connect(vendor_a, emulator)
    connect(vendor_b, emulator)
    buyer = UserFactory(email="transfer-buyer@example.com")
    va = sellable_variant(vendor_a, price=2000, stock=5)
    vb = sellable_variant(vendor_b, price=700, stock=5)
    cart = services.cart_for(user=buyer, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=va.pk, quantity=1)
    services.cart_item_add(cart=cart, vendor_id=vendor_b.pk, variant_id=vb.pk, quantity=3)
    order = services.checkout_submit(user=buyer, address=ADDRESS_DE, shipping_choice={}, checkout_token="tw")
    services.order_payment_start(order=order, return_url="http://marketplace.localhost/checkout/return/")
    order.refresh_from_db()
    gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method="pm_card_visa")
    flush(emulator)

    wait_until(lambda: Transfer.objects.filter(order_id=order.pk, status="transferred").count() == 2,
               timeout=30, message="transfers sent")
    transfers = list(Transfer.objects.filter(order_id=order.pk))
    assert sorted(t.amount for t in transfers) == sorted(
        order.sub_orders.values_list("net_amount", flat=True))
    for transfer in transfers:
        assert gateway.transfer_retrieve(transfer_id=transfer.stripe_transfer_id).amount == transfer.amount
    assert JournalEntry.objects.filter(kind="transfer").count() == 2
