"""A PaymentIntent that succeeds for an order that is unknown, cancelled or already paid: the
signed webhook's existing path decides (no double charge, no lost order, no second ledger entry)."""

from __future__ import annotations

import pytest
from django.db import transaction

from orders import services
from orders.models import Order
from payments import gateway
from payouts.models import JournalEntry
from tests.factories.orders import sellable_variant, variant_stock, variant_update
from tests.support.addresses import ADDRESS_DE
from tests.support.stripe import deliver_events

pytestmark = pytest.mark.django_db


def _prepared_order(shopper, vendor_a, token="u1"):
    variant = sellable_variant(vendor_a, price=2000, stock=4)
    cart = services.cart_for(user=shopper, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=variant.pk, quantity=2)
    order = services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token=token)
    services.order_payment_prepare(order=order)
    order.refresh_from_db()
    return order, variant


def test_a_succeeded_intent_for_an_unknown_order_changes_nothing(shopper, vendor_a, emulator, webhooks):
    order, _variant = _prepared_order(shopper, vendor_a)
    stranger = gateway.payment_intent_create(order_id=987_654, amount=5000, currency="EUR",
                                             transfer_group="order_987654", metadata={})
    gateway.payment_intent_confirm(payment_intent_id=stranger.id, payment_method="pm_card_visa")

    deliver_events(emulator, webhooks, "payment_intent.succeeded", object_id=stranger.id)

    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and order.payment_intent_id != stranger.id
    assert not JournalEntry.objects.filter(key__contains="987654").exists()


def test_a_second_succeeded_event_for_a_paid_order_changes_nothing(shopper, vendor_a, emulator, webhooks):
    order, _variant = _prepared_order(shopper, vendor_a)
    gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method="pm_card_visa")
    [delivery] = deliver_events(emulator, webhooks, "payment_intent.succeeded", object_id=order.payment_intent_id)
    paid_at = Order.objects.get(pk=order.pk).paid_at

    from tests.support.stripe import deliver, resign

    deliver(resign(delivery))

    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.paid_at == paid_at
    assert JournalEntry.objects.filter(key=f"payment_captured:order:{order.pk}").count() == 1


def test_a_payment_for_a_cancelled_order_whose_stock_is_gone_is_refunded(shopper, vendor_a, emulator, webhooks):
    order, variant = _prepared_order(shopper, vendor_a)
    # The order was cancelled (stock released, then sold to someone else) while the buyer's tab
    # still held the payment page, and their confirmation went through.
    from orders.services.cancellation import _order_cancel

    with transaction.atomic():
        _order_cancel(order=Order.objects.select_for_update().get(pk=order.pk), note="test: cancelled")
    variant_update(vendor_a, variant.pk, stock=0)
    gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method="pm_card_visa")

    deliver_events(emulator, webhooks, "payment_intent.succeeded", object_id=order.payment_intent_id)

    order.refresh_from_db()
    intent = gateway.payment_intent_retrieve_raw(payment_intent_id=order.payment_intent_id)
    assert order.status == Order.Status.REFUNDED and order.failure_code == "stock_gone_after_late_payment"
    assert intent["latest_charge"]
    assert variant_stock(vendor_a, variant.pk) == 0
