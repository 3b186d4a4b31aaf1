"""Journey: a buyer pays for two vendors' products in one checkout on our payment page (Stripe's
Payment Element, from the emulator's stand-in Stripe.js); the webhook (through the real worker)
confirms it and both vendors see it in their dashboards. Also: paying with the wallet button, and
a card saved on a first purchase paying the second."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from tests.e2e.journeys import address_fill, assert_accessible, fill_card, login, open_payment_page
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant, shipping_rate

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _listing(vendor, variant):
    from catalog.models import Product
    from catalog.selectors import product_snapshot
    from marketplace.services import listing_apply

    with schema_context(vendor.store.schema_name):
        product = Product.objects.prefetch_related("variants", "images").get(pk=variant.product_id)
        payload = product_snapshot(product)
    listing_apply(vendor=vendor, product_id=product.pk, version=product.version, payload=payload)
    from marketplace.models import Listing

    return Listing.objects.get(vendor=vendor, product_id=product.pk)


def test_buy_from_two_vendors_in_one_checkout(page, site, shot, live_server, task_worker, emulator_for_live_server,
                                              vendor_a, vendor_b, owner_a, owner_b):
    from tests.factories import UserFactory

    buyer = UserFactory(email="e2e-buyer@example.com")
    lamp = sellable_variant(vendor_a, price=4900, stock=4, name="Aurora Desk Lamp")
    mug = sellable_variant(vendor_b, price=1250, stock=9, name="Basalt Mug")
    shipping_rate(vendor_a, name="Parcel", base_amount=490, free_over_amount=10000)
    lamp_listing = _listing(vendor_a, lamp)
    mug_listing = _listing(vendor_b, mug)

    login(page, site.platform, buyer.email, PASSWORD)
    for listing in (lamp_listing, mug_listing):
        page.goto(f"{site.platform}/p/{listing.pk}/{listing.handle}/")
        page.get_by_role("button", name="Add to cart").click()
        page.get_by_text("Added to your cart.").wait_for()
    page.goto(f"{site.platform}/cart/")
    expect(page.get_by_role("heading", name="Sold by Alpha")).to_be_visible()
    expect(page.get_by_role("heading", name="Sold by Bravo")).to_be_visible()
    shot(page, "checkout-cart")

    page.get_by_role("link", name="Checkout").click()
    address_fill(page)
    total = page.locator("#summary-total").inner_text()
    shot(page, "checkout-summary")
    page.get_by_role("button", name="Pay now").click()

    # Our payment page: the order summary and Stripe's Payment Element in Stripe.js's frame.
    open_payment_page(page)
    expect(page.locator("#pay-total")).to_have_text(total)
    fill_card(page, "4242 4242 4242 4242")
    assert_accessible(page)
    shot(page, "checkout-payment-page")
    page.locator("#pay-button").click()

    page.wait_for_url(re.compile(r".*/checkout/return/\d+/.*"))
    page.get_by_text("Thank you! Your order is confirmed.").wait_for(timeout=30_000)
    shot(page, "checkout-confirmed")
    order_id = int(re.search(r"/checkout/return/(\d+)/", page.url).group(1))
    from orders.models import Order

    order = Order.objects.get(pk=order_id)
    assert order.status == "paid" and total.startswith(f"{order.total_amount / 100:,.2f}")

    page.goto(f"{site.platform}/orders/{order_id}/")
    expect(page.get_by_role("heading", name="Alpha")).to_be_visible()
    expect(page.get_by_role("heading", name="Bravo")).to_be_visible()

    from orders.models import SubOrder
    from tests.support.waiting import wait_until

    wait_until(lambda: SubOrder.objects.filter(order_id=order_id, vendor_order_id__isnull=False).count() == 2)
    for vendor, owner in ((vendor_a, owner_a), (vendor_b, owner_b)):
        login(page, site.vendor(vendor), owner.email, PASSWORD)
        page.goto(f"{site.vendor(vendor)}/dashboard/orders/")
        expect(page.get_by_role("link", name=order.number)).to_be_visible()
        shot(page, f"checkout-dashboard-{vendor.slug}")


def _buy(page, site, listing, shot=None, name=""):
    page.goto(f"{site.platform}/p/{listing.pk}/{listing.handle}/")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_text("Added to your cart.").wait_for()
    page.goto(f"{site.platform}/checkout/")
    address_fill(page)
    page.get_by_role("button", name="Pay now").click()
    return open_payment_page(page)


def _confirmed(page):
    from orders.models import Order

    page.wait_for_url(re.compile(r".*/checkout/return/\d+/.*redirect_status=succeeded"))
    page.get_by_text("Thank you! Your order is confirmed.").wait_for(timeout=30_000)
    return Order.objects.get(pk=int(re.search(r"/checkout/return/(\d+)/", page.url).group(1)))


def test_the_wallet_button_pays(page, site, shot, live_server, task_worker, emulator_for_live_server, vendor_a):
    from tests.factories import UserFactory

    buyer = UserFactory(email="wallet-buyer@example.com")
    lamp = _listing(vendor_a, sellable_variant(vendor_a, price=4900, stock=4, name="Aurora Desk Lamp"))
    login(page, site.platform, buyer.email, PASSWORD)
    frame = _buy(page, site, lamp)
    frame.get_by_label("Google Pay").check()
    expect(frame.get_by_label("Card number")).to_be_hidden()
    shot(page, "checkout-payment-wallet")
    page.locator("#pay-button").click()
    order = _confirmed(page)

    intent = emulator_for_live_server.store.get_typed("payment_intent", order.payment_intent_id)
    charge = emulator_for_live_server.store.get_typed("charge", intent["latest_charge"])
    assert order.status == "paid"
    assert charge["payment_method_details"]["card"]["wallet"]["type"] == "google_pay"


def test_a_card_saved_on_the_first_purchase_pays_the_second(
    page, site, shot, live_server, task_worker, emulator_for_live_server, vendor_a,
):
    from tests.factories import UserFactory

    buyer = UserFactory(email="returning-buyer@example.com")
    lamp = _listing(vendor_a, sellable_variant(vendor_a, price=4900, stock=4, name="Aurora Desk Lamp"))
    login(page, site.platform, buyer.email, PASSWORD)
    frame = _buy(page, site, lamp)
    fill_card(page, "5555 5555 5555 4444")
    frame.get_by_label("Save this card for future purchases").check()
    page.locator("#pay-button").click()
    first = _confirmed(page)

    frame = _buy(page, site, lamp)
    saved = frame.get_by_label(re.compile(r"Mastercard •••• 4444"))
    expect(saved).to_be_checked()  # the saved card comes first and is chosen
    expect(frame.get_by_label("Card number")).to_be_hidden()
    assert_accessible(page)
    shot(page, "checkout-payment-saved-card")
    page.locator("#pay-button").click()
    second = _confirmed(page)
    shot(page, "checkout-return-confirmed")

    buyer.refresh_from_db()
    intents = [emulator_for_live_server.store.get_typed("payment_intent", o.payment_intent_id)
               for o in (first, second)]
    assert second.pk != first.pk and second.status == "paid"
    assert {pi["customer"] for pi in intents} == {buyer.stripe_customer_id}
    assert intents[0]["payment_method"] == intents[1]["payment_method"]  # the same saved card
