"""Journey: a visitor without an account adds to the cart, continues as a guest with an email, pays
with a card in the Payment Element, sees the confirmation, follows the order through its signed
link, creates the account from the confirmation and finds the order in My orders."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import (
    address_fill,
    assert_accessible,
    fill_card,
    open_payment_page,
    publish_listing,
)
from tests.factories.orders import sellable_variant, shipping_rate

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_guest_buys_and_creates_the_account_after_paying(page, site, shot, live_server, task_worker,
                                                            emulator_for_live_server, vendor_a):
    from accounts.models import User
    from orders import services
    from orders.models import Order

    lamp = publish_listing(vendor_a, sellable_variant(vendor_a, price=4900, stock=4, name="Aurora Desk Lamp"))
    shipping_rate(vendor_a, name="Parcel", base_amount=490, free_over_amount=10000)

    page.goto(f"{site.platform}/p/{lamp.pk}/{lamp.handle}/")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_text("Added to your cart.").wait_for()
    page.goto(f"{site.platform}/cart/")
    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_role("link", name="Sign in to check out")).to_be_visible()
    page.get_by_label("Email").fill("guest-buyer@example.com")
    page.get_by_role("button", name="Continue as guest").click()

    expect(page.locator("#guest-email")).to_contain_text("guest-buyer@example.com")
    address_fill(page, "Gil Guest")
    assert_accessible(page)
    shot(page, "guest-checkout-form")
    page.get_by_role("button", name="Pay now").click()

    open_payment_page(page)
    fill_card(page, "4242 4242 4242 4242")
    page.locator("#pay-button").click()
    page.wait_for_url(re.compile(r".*/checkout/return/\d+/.*redirect_status=succeeded"))
    page.get_by_text("Thank you! Your order is confirmed.").wait_for(timeout=30_000)
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    order = Order.objects.get(pk=int(re.search(r"/checkout/return/(\d+)/", page.url).group(1)))
    assert order.status == "paid" and order.buyer.is_guest
    return_url = page.url
    page.get_by_label("Password", exact=True).scroll_into_view_if_needed()
    shot(page, "guest-confirmed-create-account")

    # The link of the confirmation email opens the order without signing in.
    page.goto(f"{site.platform}/orders/track/{services.order_link_token(order=order, claim=True)}/")
    expect(page.get_by_role("heading", name=f"Order {order.number}")).to_be_visible()
    expect(page.get_by_text("Aurora Desk Lamp")).to_be_visible()
    assert_accessible(page)
    shot(page, "guest-tracking")

    page.goto(return_url)
    page.get_by_label("Password", exact=True).fill("a-long-Secret-42")
    page.get_by_label("Password (again)").fill("a-long-Secret-42")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(re.compile(r".*/orders/$"))
    expect(page.get_by_text("Your account is ready")).to_be_visible()
    expect(page.get_by_text(order.number)).to_be_visible()
    assert not User.objects.get(email="guest-buyer@example.com").is_guest
