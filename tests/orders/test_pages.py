"""Buyer pages: cart (htmx), checkout form errors, payment return polling, order history."""

from __future__ import annotations

import pytest

from orders import services
from orders.models import Cart, Order
from orders.signals import SESSION_CART_KEY
from payments import gateway
from payments.errors import CardDeclined
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant, variant_update
from tests.support.addresses import ADDRESS_DE

pytestmark = pytest.mark.django_db


def test_anonymous_cart_is_merged_into_the_users_cart_on_login(client_for, shopper, vendor_a):
    va = sellable_variant(vendor_a, price=1000, stock=9)
    vb = sellable_variant(vendor_a, price=500, stock=9)
    mine = services.cart_for(user=shopper, create=True)
    services.cart_item_add(cart=mine, vendor_id=vendor_a.pk, variant_id=va.pk, quantity=1)
    client = client_for("marketplace.localhost")
    response = client.post("/cart/add/", {"vendor_id": vendor_a.pk, "variant_id": va.pk, "quantity": 2})
    assert response.status_code == 302
    client.post("/cart/add/", {"vendor_id": vendor_a.pk, "variant_id": vb.pk, "quantity": 1})
    token = client.session[SESSION_CART_KEY]
    assert Cart.objects.get(token=token).items.count() == 2

    response = client.post("/accounts/login/", {"login": shopper.email, "password": PASSWORD})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert sorted(mine.items.values_list("variant_id", "quantity")) == sorted([(va.pk, 3), (vb.pk, 1)])
    assert not Cart.objects.filter(token=token).exists()


def test_cart_page_groups_by_vendor_and_shows_price_changes(client_for, shopper, vendor_a, vendor_b,
                                                             django_assert_max_num_queries):
    va = sellable_variant(vendor_a, price=1000, stock=9, name="Alpha Lamp")
    vb = sellable_variant(vendor_b, price=2000, stock=9, name="Bravo Mug")
    cart = services.cart_for(user=shopper, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=va.pk, quantity=1)
    services.cart_item_add(cart=cart, vendor_id=vendor_b.pk, variant_id=vb.pk, quantity=2)
    variant_update(vendor_a, va.pk, price_amount=1100)
    client = client_for("marketplace.localhost", shopper)
    # 26: with the one read of the promotions that may apply to the cart (ADR 0094).
    with django_assert_max_num_queries(26):
        response = client.get("/cart/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Sold by Alpha" in body and "Sold by Bravo" in body
    assert 'data-notice="price_changed"' in body
    assert "Accept new prices" in body


def test_cart_quantity_update_over_htmx_refuses_more_than_stock(client_for, shopper, vendor_a):
    va = sellable_variant(vendor_a, price=1000, stock=3)
    cart = services.cart_for(user=shopper, create=True)
    item = services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=va.pk, quantity=1)
    client = client_for("marketplace.localhost", shopper)
    ok = client.post(f"/cart/items/{item.pk}/", {"quantity": 3}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200 and "<html" not in ok.content.decode()
    too_many = client.post(f"/cart/items/{item.pk}/", {"quantity": 4}, HTTP_HX_REQUEST="true")
    assert too_many.status_code == 422 and "Only 3" in too_many.content.decode()
    item.refresh_from_db()
    assert item.quantity == 3


def test_another_buyers_cart_item_is_404(client_for, shopper, vendor_a):
    from tests.factories import UserFactory

    va = sellable_variant(vendor_a, stock=3)
    cart = services.cart_for(user=shopper, create=True)
    item = services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=va.pk, quantity=1)
    other = UserFactory(email="other@example.com")
    services.cart_for(user=other, create=True)
    response = client_for("marketplace.localhost", other).post(f"/cart/items/{item.pk}/", {"remove": "1"})
    assert response.status_code == 404
    assert cart.items.count() == 1


def test_checkout_shows_address_errors_per_field_and_creates_nothing(client_for, shopper, vendor_a):
    va = sellable_variant(vendor_a, stock=3)
    cart = services.cart_for(user=shopper, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=va.pk, quantity=1)
    client = client_for("marketplace.localhost", shopper)
    page = client.get("/checkout/")
    assert page.status_code == 200 and "Shipping address" in page.content.decode()
    response = client.post("/checkout/", {"name": "Bea", "line1": "Main 1", "city": "Berlin",
                                          "postal_code": "ABC", "country": "DE", "checkout_token": "tok"})
    assert response.status_code == 422
    assert "Enter a postal code like 12345" in response.content.decode()
    assert not Order.objects.exists()


def _checkout(client_for, shopper, vendor_a):
    va = sellable_variant(vendor_a, stock=3)
    cart = services.cart_for(user=shopper, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=va.pk, quantity=1)
    client = client_for("marketplace.localhost", shopper)
    data = {"name": "Bea", "line1": "Main 1", "city": "Berlin", "postal_code": "10115", "country": "DE",
            "checkout_token": "tok"}
    return client, client.post("/checkout/", data), client.post("/checkout/", data)  # double-clicked


def test_checkout_leads_to_our_payment_page_with_the_payment_element(client_for, shopper, vendor_a, emulator):
    client, first, second = _checkout(client_for, shopper, vendor_a)
    order = Order.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/orders/{order.pk}/pay/"

    page = client.get(f"/orders/{order.pk}/pay/")
    again = client.get(f"/orders/{order.pk}/pay/")
    order.refresh_from_db()
    shopper.refresh_from_db()
    intent = gateway.payment_intent_retrieve_raw(payment_intent_id=order.payment_intent_id)
    html = page.content.decode()
    csp = page["Content-Security-Policy"]
    assert page.status_code == 200 and page["Cache-Control"].startswith("max-age=0")
    # One PaymentIntent per order, for the order's amount, with the buyer's Customer.
    assert intent["client_secret"] in html and intent["client_secret"] in again.content.decode()
    assert intent["amount"] == order.total_amount and intent["customer"] == shopper.stripe_customer_id != ""
    assert intent["automatic_payment_methods"]["enabled"] is True
    assert f'<script src="{emulator.url}/v3/"></script>' in html
    assert 'data-publishable-key="pk_test_emulator"' in html and 'data-customer-session="cuss_secret_' in html
    assert f"script-src 'self' {emulator.url}" in csp and f"frame-src 'self' {emulator.url}" in csp
    assert f"connect-src 'self' {emulator.url}" in csp
    assert "<script>" not in html  # no inline script: the module in static/js mounts the element
    assert emulator.url not in client.get("/cart/")["Content-Security-Policy"]


def test_a_second_order_reuses_the_buyers_customer(client_for, shopper, vendor_a, emulator):
    client, first, _ = _checkout(client_for, shopper, vendor_a)
    client.get(first["Location"])
    customer = type(shopper).objects.get(pk=shopper.pk).stripe_customer_id
    order = Order.objects.get()
    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
    cart = services.cart_for(user=shopper, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=sellable_variant(vendor_a, stock=2).pk)
    second = services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="tok2")
    client.get(f"/orders/{second.pk}/pay/")
    second.refresh_from_db()
    assert gateway.payment_intent_retrieve_raw(payment_intent_id=second.payment_intent_id)["customer"] == customer


def test_another_buyers_payment_page_is_not_found(client_for, shopper, vendor_a, emulator):
    from tests.factories import UserFactory

    _checkout(client_for, shopper, vendor_a)
    order = Order.objects.get()
    stranger = client_for("marketplace.localhost", UserFactory(email="stranger@example.com"))
    assert stranger.get(f"/orders/{order.pk}/pay/").status_code == 404
    assert stranger.get(f"/checkout/return/{order.pk}/").status_code == 404
    order.refresh_from_db()
    assert order.payment_intent_id == ""  # nothing was created for the stranger


def test_a_paid_order_has_no_payment_page(client_for, paid_order, shopper, vendor_a):
    va = sellable_variant(vendor_a, stock=3)
    order = paid_order((vendor_a, va, 1), copies=False)
    client = client_for("marketplace.localhost", shopper)
    response = client.get(f"/orders/{order.pk}/pay/")
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.pk}/"


def test_return_page_reads_the_intent_and_polls_until_the_webhook_marks_the_order_paid(
        client_for, paid_order, shopper, vendor_a):
    va = sellable_variant(vendor_a, stock=3)
    order = paid_order((vendor_a, va, 1), copies=False)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PENDING_PAYMENT, paid_at=None)
    client = client_for("marketplace.localhost", shopper)
    # The query says "failed", but the PaymentIntent (read server-side) succeeded; only the webhook
    # marks the order paid.
    pending = client.get(f"/checkout/return/{order.pk}/?redirect_status=failed")
    assert "Payment received. Confirming your order" in pending.content.decode()
    assert 'hx-trigger="every 2s"' in pending.content.decode()
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID)
    done = client.get(f"/orders/{order.pk}/status/", HTTP_HX_REQUEST="true")
    assert "Your order is confirmed" in done.content.decode()
    assert "every 2s" not in done.content.decode()


def test_return_page_after_a_failed_attempt_offers_another_card(client_for, shopper, vendor_a, emulator):
    client, first, _ = _checkout(client_for, shopper, vendor_a)
    client.get(first["Location"])
    order = Order.objects.get()
    with pytest.raises(CardDeclined):
        gateway.payment_intent_confirm(payment_intent_id=order.payment_intent_id,
                                       payment_method="pm_card_chargeDeclined")
    page = client.get(f"/checkout/return/{order.pk}/?redirect_status=succeeded").content.decode()
    assert "Nothing was charged" in page and "Try another card" in page
    assert "Payment received" not in page


def test_order_history_and_detail_show_each_vendor_part(client_for, paid_order, shopper, vendor_a, vendor_b,
                                                        django_assert_max_num_queries):
    va = sellable_variant(vendor_a, stock=3)
    vb = sellable_variant(vendor_b, stock=3)
    order = paid_order((vendor_a, va, 1), (vendor_b, vb, 2))
    client = client_for("marketplace.localhost", shopper)
    with django_assert_max_num_queries(12):
        listing = client.get("/orders/")
    assert order.number in listing.content.decode()
    with django_assert_max_num_queries(12):
        detail = client.get(f"/orders/{order.pk}/")
    body = detail.content.decode()
    assert 'data-vendor="alpha"' in body and 'data-vendor="bravo"' in body
    assert "No shipment yet." in body
    # The buyer's history: the public steps in plain words, never the vendors' internal ones.
    assert 'data-event="order.placed"' in body and 'data-event="order.paid"' in body
    assert "Payment received" in body and 'data-event="sub_order.paid"' not in body and "→" not in body


def test_empty_order_history_has_an_empty_state(client_for, shopper):
    response = client_for("marketplace.localhost", shopper).get("/orders/")
    assert "You have no orders yet." in response.content.decode()


def test_unreachable_gateway_sends_the_buyer_to_the_order_with_a_retry(client_for, shopper, vendor_a, settings):
    import socket

    va = sellable_variant(vendor_a, stock=3)
    cart = services.cart_for(user=shopper, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=va.pk, quantity=1)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.STRIPE_API_BASE = f"http://127.0.0.1:{probe.getsockname()[1]}"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    client = client_for("marketplace.localhost", shopper)
    response = client.post("/checkout/", {"name": "Bea", "line1": "Main 1", "city": "Berlin", "postal_code": "10115",
                                          "country": "DE", "checkout_token": "tok"}, follow=True)
    order = Order.objects.get()
    assert response.redirect_chain[-1][0] == f"/orders/{order.pk}/"
    body = response.content.decode()
    assert "could not reach the payment provider" in body and "Back to the payment page" in body


def test_order_confirmation_email_is_in_the_buyer_language(paid_order, shopper, vendor_a, mailoutbox):
    from accounts.models import User
    from orders import services as order_services
    from tests.factories.orders import sellable_variant

    User.objects.filter(pk=shopper.pk).update(language="fr")
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=123450, stock=3), 1), copies=False)
    mailoutbox.clear()
    assert order_services.order_confirmation_send(order_id=order.pk)
    [message] = mailoutbox
    assert message.to == [order.email] and message.subject == f"Votre commande {order.number} est confirmée"
    assert "Suivre votre commande" in message.body
    assert "1\u202f234,50 EUR" in message.body or "1\xa0234,50 EUR" in message.body
