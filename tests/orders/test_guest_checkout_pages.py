"""Guest checkout on the web: continue as guest, pay, the guest's pages, the emailed link, the account after."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from orders import services
from orders.models import Cart, Order
from orders.signals import SESSION_CART_KEY
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant

pytestmark = pytest.mark.django_db

HOST = "marketplace.localhost"
FORM = {"name": "Gil Guest", "line1": "Main 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}
SECRET = "a-long-Secret-42"


def _visitor_with_cart(client_for, vendor, *, quantity=1, stock=5):
    client = client_for(HOST)
    variant = sellable_variant(vendor, price=1500, stock=stock, name="Guest Lamp")
    added = client.post("/cart/add/", {"vendor_id": vendor.pk, "variant_id": variant.pk, "quantity": quantity})
    assert added.status_code == 302
    return client


def _guest_order(client, email="gil@example.com", token="g-tok"):
    assert client.post("/checkout/guest/", {"email": email})["Location"] == "/checkout/"
    response = client.post("/checkout/", {**FORM, "checkout_token": token})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Order.objects.get(buyer__email=email.lower(), checkout_token=token), response


def _paid(order):
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID, paid_at=timezone.now())
    order.refresh_from_db()
    return order


def test_a_visitor_continues_as_guest_and_reaches_the_payment_page(client_for, vendor_a, emulator):
    client = _visitor_with_cart(client_for, vendor_a)
    start = client.get("/checkout/")
    html = start.content.decode()
    assert start.status_code == 200 and "Continue as guest" in html
    assert 'href="/accounts/login/?next=%2Fcheckout%2F"' in html
    assert client.post("/checkout/guest/", {"email": "nope"}).status_code == 422
    order, response = _guest_order(client, email="Gil@Example.com")
    assert response["Location"] == f"/orders/{order.pk}/pay/"
    assert order.buyer.is_guest and order.email == "gil@example.com" and not order.buyer.has_usable_password()
    assert not Cart.objects.filter(token=client.session.get(SESSION_CART_KEY, "-")).exists()

    page = client.get(f"/orders/{order.pk}/pay/")
    order.refresh_from_db()
    assert page.status_code == 200 and order.payment_intent_id
    # No saved cards for a guest: anyone may type an email.
    assert 'data-customer-session=""' in page.content.decode()
    back = client.get(f"/checkout/return/{order.pk}/")
    assert back.status_code == 200 and order.number in back.content.decode()
    assert client.get(f"/orders/{order.pk}/status/").status_code == 200


def test_the_guests_order_pages_are_not_found_for_anyone_else(client_for, vendor_a, emulator):
    from tests.factories import UserFactory

    order, _ = _guest_order(_visitor_with_cart(client_for, vendor_a))
    other_visitor = client_for(HOST)
    other_buyer = client_for(HOST, UserFactory(email="other-buyer@example.com"))
    # Even a visitor who checks out as a guest with the same email gets no access to this order.
    same_email = _visitor_with_cart(client_for, vendor_a)
    _guest_order(same_email, token="other-tok")
    for client in (other_visitor, other_buyer, same_email):
        for url in (f"/orders/{order.pk}/pay/", f"/checkout/return/{order.pk}/", f"/orders/{order.pk}/status/"):
            assert client.get(url).status_code == 404, url
        assert client.post(f"/orders/{order.pk}/account/", {"password1": SECRET, "password2": SECRET}
                           ).status_code == 404
    order.refresh_from_db()
    assert order.buyer.is_guest and not order.buyer.has_usable_password()
    assert other_visitor.get(f"/orders/{order.pk}/").status_code == 302  # sign in, then not theirs


def test_an_account_email_is_asked_to_sign_in_and_the_cart_follows_the_sign_in(client_for, vendor_a):
    from tests.factories import UserFactory

    member = UserFactory(email="member@example.com")
    client = _visitor_with_cart(client_for, vendor_a, quantity=2)
    refused = client.post("/checkout/guest/", {"email": "Member@example.com"})
    html = refused.content.decode()
    assert refused.status_code == 422 and "Sign in to continue" in html
    assert 'href="/accounts/login/?next=%2Fcheckout%2F"' in html
    assert not Order.objects.exists() and get_user_model().objects.filter(is_guest=True).count() == 0
    assert client.get("/checkout/").status_code == 200  # still the choice: no guest email was kept

    signed_in = client.post("/accounts/login/?next=/checkout/", {"login": member.email, "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/checkout/"
    assert list(Cart.objects.get(user=member).items.values_list("quantity", flat=True)) == [2]
    assert 'name="line1"' in client.get("/checkout/").content.decode()


def test_the_confirmation_email_links_a_guest_to_their_order_without_signing_in(client_for, vendor_a, emulator,
                                                                                 mailoutbox):
    order, _ = _guest_order(_visitor_with_cart(client_for, vendor_a))
    _paid(order)
    mailoutbox.clear()
    assert services.order_confirmation_send(order_id=order.pk)
    [message] = mailoutbox
    link = re.search(r"https?://\S+(/orders/track/\S+/)", message.body)
    assert link and "create an account" in message.body
    page = client_for(HOST).get(link.group(1))
    html = page.content.decode()
    assert page.status_code == 200 and order.number in html and "Guest Lamp" in html
    assert "Create an account" in html and 'id="order-timeline"' in html
    assert client_for(HOST).get(link.group(1).replace("/track/", "/track/x")).status_code == 404


def test_after_paying_the_guest_creates_the_account_and_finds_the_order_in_my_orders(client_for, vendor_a, emulator):
    client = _visitor_with_cart(client_for, vendor_a)
    order, _ = _guest_order(client)
    _paid(order)
    offer = client.get(f"/checkout/return/{order.pk}/").content.decode()
    assert "Create an account" in offer and f'action="/orders/{order.pk}/account/"' in offer
    url = f"/orders/{order.pk}/account/"
    assert client.post(url, {"password1": SECRET, "password2": "different"}).status_code == 422
    weak = client.post(url, {"password1": "1234", "password2": "1234"})
    assert weak.status_code == 422 and "too short" in weak.content.decode()

    created = client.post(url, {"password1": SECRET, "password2": SECRET})
    assert created.status_code == 302 and created["Location"] == "/orders/"
    user = get_user_model().objects.get(email="gil@example.com")
    assert not user.is_guest and user.check_password(SECRET)
    assert order.number in client.get("/orders/").content.decode()
    assert client.get(f"/orders/{order.pk}/").status_code == 200
    # The account signs in with its password; the emailed link now asks to sign in.
    fresh = client_for(HOST)
    link = f"/orders/track/{services.order_link_token(order=order)}/"
    assert fresh.get(link)["Location"] == f"/orders/{order.pk}/"
    assert fresh.post("/accounts/login/", {"login": user.email, "password": SECRET}).status_code == 302
    assert fresh.get(f"/orders/{order.pk}/").status_code == 200


def test_only_the_emailed_link_claims_a_guest_with_orders_from_elsewhere(client_for, vendor_a, emulator):
    first, _ = _guest_order(_visitor_with_cart(client_for, vendor_a), token="first")
    other = _visitor_with_cart(client_for, vendor_a)
    second, _ = _guest_order(other, token="second")
    _paid(second)
    page = other.get(f"/checkout/return/{second.pk}/").content.decode()
    assert "Open the link in your confirmation email" in page and 'name="password1"' not in page
    assert other.post(f"/orders/{second.pk}/account/", {"password1": SECRET, "password2": SECRET}).status_code == 404
    assert get_user_model().objects.get(email="gil@example.com").is_guest
    # The return page's own link opens the order but cannot claim: it is not proof of the mailbox.
    shown = re.search(r'href="(/orders/track/[^"]+/)"', page).group(1)
    assert 'name="password1"' not in other.get(shown).content.decode()
    assert other.post(f"/orders/{second.pk}/account/", {"token": shown.split("/")[-2], "password1": SECRET,
                                                          "password2": SECRET}).status_code == 404
    assert get_user_model().objects.get(email="gil@example.com").is_guest
    # The link from the email (sent to the address) proves the email is theirs.
    token = services.order_link_token(order=first, claim=True)
    claimed = client_for(HOST).post(f"/orders/{first.pk}/account/",
                                    {"token": token, "password1": SECRET, "password2": SECRET})
    assert claimed.status_code == 302
    assert not get_user_model().objects.get(email="gil@example.com").is_guest
    foreign = client_for(HOST).post(f"/orders/{second.pk}/account/",
                                    {"token": token, "password1": SECRET, "password2": SECRET})
    assert foreign.status_code == 404


def test_a_refused_guest_checkout_keeps_the_visitors_cart(client_for, vendor_a, emulator, settings):
    # Failed before the fix: the cart had moved to the guest buyer and the visitor's was gone.
    settings.ORDERS_NEW_BUYER_MAX_UNITS_PER_VARIANT = 2
    client = _visitor_with_cart(client_for, vendor_a, quantity=3, stock=10)
    client.post("/checkout/guest/", {"email": "hoarder@example.com"})
    refused = client.post("/checkout/", {**FORM, "checkout_token": "h"})
    assert refused.status_code == 422 and not Order.objects.exists()
    cart = Cart.objects.get(token=client.session[SESSION_CART_KEY], user__isnull=True)
    assert list(cart.items.values_list("quantity", flat=True)) == [3]
    item = cart.items.get()
    client.post(f"/cart/items/{item.pk}/", {"quantity": 2})
    assert client.post("/checkout/", {**FORM, "checkout_token": "h2"}).status_code == 302


def test_guest_checkout_is_rate_limited_per_address(client_for, vendor_a, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "checkout": "3/10m/ip"}
    client = _visitor_with_cart(client_for, vendor_a)
    statuses = [client.post("/checkout/guest/", {"email": f"g{n}@example.com"}).status_code for n in range(4)]
    assert statuses == [302, 302, 302, 429]
