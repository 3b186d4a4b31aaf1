"""Payment through the emulator: only the signed webhook marks an order paid, in any order, once."""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from orders import services
from orders.models import Order, SubOrder
from payments import gateway
from payments.errors import AuthenticationRequired, CardDeclined
from payouts.models import JournalEntry
from tests.factories.orders import sellable_variant, variant_stock
from tests.support.addresses import ADDRESS_DE
from tests.support.stripe import deliver, flush, resign
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db

RETURN_URL = "http://marketplace.localhost/checkout/return/"


def _order(shopper, vendor_a, vendor_b, *, stock=5):
    va = sellable_variant(vendor_a, price=1500, stock=stock)
    vb = sellable_variant(vendor_b, price=2500, stock=stock)
    cart = services.cart_for(user=shopper, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=va.pk, quantity=2)
    services.cart_item_add(cart=cart, vendor_id=vendor_b.pk, variant_id=vb.pk, quantity=1)
    order = services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="t1")
    url = services.order_payment_start(order=order, return_url=RETURN_URL)
    order.refresh_from_db()
    return order, va, vb, url


def _events(webhooks, emulator, event_type, count=1):
    flush(emulator)
    return wait_until(lambda: len(webhooks.of_type(event_type)) >= count and webhooks.of_type(event_type))


def test_succeeded_webhook_marks_paid_posts_ledger_and_records_fee(shopper, vendor_a, vendor_b, emulator, webhooks):
    order, _va, _vb, url = _order(shopper, vendor_a, vendor_b)
    assert url.endswith(f"/orders/{order.pk}/pay/")  # our page, with Stripe's Payment Element
    gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method="pm_card_visa")
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT  # the API answer alone changes nothing

    [succeeded] = _events(webhooks, emulator, "payment_intent.succeeded")
    deliver(succeeded)

    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.paid_at is not None
    assert set(order.sub_orders.values_list("status", flat=True)) == {SubOrder.Status.PAID}
    # Emulator fee: 2.9 % + 30.
    assert order.stripe_fee_amount == round(order.total_amount * 0.029) + 30
    entry = JournalEntry.objects.get(key=f"payment_captured:order:{order.pk}")
    assert sum(p.amount for p in entry.postings.all()) == 0
    assert entry.postings.filter(account__code="vendor_pending").count() == 2


def test_duplicate_and_late_redeliveries_apply_once(shopper, vendor_a, vendor_b, emulator, webhooks):
    order, *_ = _order(shopper, vendor_a, vendor_b)
    gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method="pm_card_visa")
    [succeeded] = _events(webhooks, emulator, "payment_intent.succeeded")
    deliver(succeeded)
    paid_at = Order.objects.get(pk=order.pk).paid_at
    deliver(succeeded)  # the same delivery again
    deliver(resign(succeeded))  # redelivered later, signed anew
    order.refresh_from_db()
    assert order.paid_at == paid_at
    assert JournalEntry.objects.filter(reference_type="order", reference_id=str(order.pk)).count() == 1


def test_failure_event_arriving_after_success_changes_nothing(shopper, vendor_a, vendor_b, emulator, webhooks):
    order, va, _vb, _url = _order(shopper, vendor_a, vendor_b)
    with pytest.raises(CardDeclined):
        gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id,
                                       payment_method="pm_card_chargeDeclined")
    gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method="pm_card_visa")
    [failed] = _events(webhooks, emulator, "payment_intent.payment_failed")
    [succeeded] = _events(webhooks, emulator, "payment_intent.succeeded")

    deliver(failed)  # arrives first: the intent is re-fetched and found succeeded
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and not order.stock_released
    deliver(succeeded)
    deliver(failed)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert variant_stock(vendor_a, va.pk) == 3


def _decline(order, webhooks, emulator, count, method="pm_card_chargeDeclined"):
    with pytest.raises(CardDeclined):
        gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method=method)
    return _events(webhooks, emulator, "payment_intent.payment_failed", count)[count - 1]


def test_a_declined_card_keeps_the_order_open_and_another_card_pays_it(
    shopper, vendor_a, vendor_b, emulator, webhooks, platform_client,
):
    order, va, _vb, _url = _order(shopper, vendor_a, vendor_b)
    failed = _decline(order, webhooks, emulator, 1, "pm_card_chargeDeclinedInsufficientFunds")
    deliver(failed)
    deliver(failed)  # the same event twice counts once

    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and order.failed_payment_attempts == 1
    assert order.failure_code == "insufficient_funds"
    assert not order.stock_released and variant_stock(vendor_a, va.pk) == 3
    assert gateway.payment_intent_retrieve(payment_intent_id=order.payment_intent_id).status == (
        "requires_payment_method")
    # The buyer sees why and is offered the same payment again; the API says the same.
    platform_client.force_login(shopper)
    page = platform_client.get(f"/checkout/return/{order.pk}/?redirect_status=failed").content.decode()
    assert 'id="payment-retry"' in page and "Your card has insufficient funds." in page
    assert f'action="/orders/{order.pk}/pay/"' in page
    body = platform_client.get(f"/api/v1/orders/{order.pk}/").json()
    assert body["failed_payment_attempts"] == 1 and body["reserved_until"]
    assert body["last_payment_error"] == {"code": "insufficient_funds", "message": "Your card has insufficient funds."}

    # The same PaymentIntent, another card: paid, with nothing released or restored on the way.
    gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method="pm_card_visa")
    [succeeded] = _events(webhooks, emulator, "payment_intent.succeeded")
    deliver(succeeded)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and variant_stock(vendor_a, va.pk) == 3
    cart = services.cart_for(user=shopper)
    assert cart is None or not cart.items.exists()


def test_a_lost_card_decline_is_told_as_a_plain_decline(shopper, vendor_a, vendor_b, emulator, webhooks):
    order, *_ = _order(shopper, vendor_a, vendor_b)
    deliver(_decline(order, webhooks, emulator, 1, "pm_card_chargeDeclinedLostCard"))
    order.refresh_from_db()
    assert order.failure_code == "lost_card" and order.failure_reason == "Your card was declined."


def test_too_many_declines_give_the_order_up_and_put_the_items_back_in_the_cart(
    shopper, vendor_a, vendor_b, emulator, webhooks, settings,
):
    settings.ORDERS_MAX_FAILED_PAYMENTS = 3
    order, va, vb, _url = _order(shopper, vendor_a, vendor_b)
    # Each attempt is a new card (the same card and intent again would replay the first answer).
    cards = ["pm_card_chargeDeclined", "pm_card_chargeDeclinedInsufficientFunds", "pm_card_chargeDeclinedExpiredCard"]
    for attempt, card in enumerate(cards[:2], start=1):
        deliver(_decline(order, webhooks, emulator, attempt, card))
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and order.failed_payment_attempts == 2
    deliver(_decline(order, webhooks, emulator, 3, cards[2]))

    order.refresh_from_db()
    assert order.status == Order.Status.PAYMENT_FAILED and order.failed_payment_attempts == 3
    assert order.failure_code == "expired_card"
    assert variant_stock(vendor_a, va.pk) == 5 and variant_stock(vendor_b, vb.pk) == 5
    assert gateway.payment_intent_retrieve(payment_intent_id=order.payment_intent_id).status == "canceled"
    cart = services.cart_for(user=shopper)
    assert sorted(cart.items.values_list("quantity", flat=True)) == [1, 2]
    assert not JournalEntry.objects.filter(reference_id=str(order.pk)).exists()


def test_an_order_left_after_a_decline_expires_as_a_failed_payment(shopper, vendor_a, vendor_b, emulator, webhooks):
    order, va, _vb, _url = _order(shopper, vendor_a, vendor_b)
    deliver(_decline(order, webhooks, emulator, 1))
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(seconds=1))
    assert services.orders_expire_due() == 1

    order.refresh_from_db()
    assert order.status == Order.Status.PAYMENT_FAILED and order.stock_released
    assert variant_stock(vendor_a, va.pk) == 5
    assert gateway.payment_intent_retrieve(payment_intent_id=order.payment_intent_id).status == "canceled"
    assert sorted(services.cart_for(user=shopper).items.values_list("quantity", flat=True)) == [1, 2]


def test_abandoned_3d_secure_expires_cancels_the_intent_and_releases_stock(shopper, vendor_a, vendor_b, emulator, webhooks):
    order, va, _vb, _url = _order(shopper, vendor_a, vendor_b)
    intent = gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id,
                                            payment_method="pm_card_threeDSecure2Required",
                                            return_url=RETURN_URL)
    assert intent.status == "requires_action"  # the buyer closes the 3-D Secure window

    assert services.orders_expire_due() == 0  # not yet due
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(seconds=1))
    assert services.orders_expire_due() == 1

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and order.stock_released
    assert variant_stock(vendor_a, va.pk) == 5
    assert gateway.payment_intent_retrieve(payment_intent_id=order.payment_intent_id).status == "canceled"
    [canceled] = _events(webhooks, emulator, "payment_intent.canceled")
    deliver(canceled)  # the cancellation's own webhook: nothing more to release
    assert variant_stock(vendor_a, va.pk) == 5


def test_expiry_leaves_an_order_paid_at_the_last_minute_to_its_webhook(shopper, vendor_a, vendor_b, emulator, webhooks):
    order, va, _vb, _url = _order(shopper, vendor_a, vendor_b)
    gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id, payment_method="pm_card_visa")
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(seconds=1))
    assert services.orders_expire_due() == 0
    [succeeded] = _events(webhooks, emulator, "payment_intent.succeeded")
    deliver(succeeded)  # late webhook
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert variant_stock(vendor_a, va.pk) == 3


def test_double_submitted_checkout_makes_one_order_and_one_payment_intent(shopper, vendor_a, vendor_b, emulator):
    order, *_ = _order(shopper, vendor_a, vendor_b)
    again = services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="t1")
    assert again.pk == order.pk
    services.order_payment_start(order=again, return_url=RETURN_URL)
    with urllib.request.urlopen(emulator.url + "/_emulator/state", timeout=10) as response:
        state = json.loads(response.read())
    intents = state["objects"].get("payment_intent", [])
    assert [pi["id"] for pi in intents] == [order.payment_intent_id]
    assert Order.objects.count() == 1


def test_off_session_authentication_error_is_typed(shopper, vendor_a, vendor_b, emulator):
    order, *_ = _order(shopper, vendor_a, vendor_b)
    with pytest.raises(AuthenticationRequired):
        gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id,
                                       payment_method="pm_card_threeDSecure2Required", off_session=True)
