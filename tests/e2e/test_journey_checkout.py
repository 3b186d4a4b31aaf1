"""Journey: a buyer pays for two vendors' products in one checkout on the emulator's payment page;
the webhook (through the real worker) confirms it and both vendors see it in their dashboards."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from tests.e2e.journeys import login
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
    page.get_by_label("Full name").fill("Bea Buyer")
    page.get_by_label("Address", exact=True).fill("Hauptstr. 1")
    page.get_by_label("Postal code").fill("10115")
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Country").select_option("DE")
    total = page.locator("#summary-total").inner_text()
    shot(page, "checkout-summary")
    page.get_by_role("button", name="Pay now").click()

    # The emulator's hosted card page (the Payment Element's job on real Stripe).
    page.wait_for_url(re.compile(r".*/_emulator/pay/pi_.*"))
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
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
