"""Journey: a vendor schedules a sale in its dashboard, the platform creates a coupon in the ops
console, and a buyer applies the coupon in the cart (htmx, a wrong code first), sees both
discounts at checkout and pays; the order page shows them and the ledger books the platform's
share (docs/adr/0094)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import (
    address_fill,
    assert_accessible,
    connect_vendor,
    fill_card,
    htmx_settled,
    login,
    open_payment_page,
    publish_listing,
)
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant, shipping_rate

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_buyer_applies_a_coupon_in_the_cart_and_pays(page, site, shot, live_server, task_worker,
                                                       emulator_for_live_server, vendor_a, owner_a, buyer,
                                                       admin_user):
    from orders.models import Order
    from payouts.ledger.selectors import balances_by_code, unbalanced_entries
    from promotions.models import Promotion, Redemption

    connect_vendor(vendor_a, emulator_for_live_server)
    lamp = sellable_variant(vendor_a, price=6000, stock=5, name="Aurora Desk Lamp")
    listing = publish_listing(vendor_a, lamp)
    shipping_rate(vendor_a, name="Parcel", base_amount=490)

    # The vendor puts its lamp on sale: 10 % off, funded by the vendor.
    login(page, site.vendor(vendor_a), owner_a.email, PASSWORD)
    page.goto(f"{site.vendor(vendor_a)}/dashboard/promotions/")
    page.get_by_label("Name").fill("Lamp week")
    page.get_by_label("Discount").select_option("percent")
    page.get_by_label("Percentage off").fill("10")
    page.get_by_label("Products").select_option(str(lamp.product_id))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Lamp week is saved.")).to_be_visible()
    assert_accessible(page)
    shot(page, "promotions-vendor-sales")

    # The platform creates a coupon worth 5.00, once per buyer.
    login(page, site.platform, admin_user.email, PASSWORD)
    page.goto(f"{site.platform}/ops/promotions/")
    page.get_by_label("Name").fill("Welcome")
    page.get_by_label("Code").fill("WELCOME5")
    page.get_by_label("Discount").select_option("fixed")
    page.get_by_label("Amount off").fill("5.00")
    page.get_by_label("Currency", exact=True).select_option("EUR")
    page.get_by_label("Uses per buyer").fill("1")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Welcome is saved.")).to_be_visible()
    assert_accessible(page)
    shot(page, "promotions-ops-coupons")

    # The buyer: the sale applies by itself; a mistyped code is refused next to the field.
    login(page, site.platform, buyer.email, PASSWORD)
    page.goto(f"{site.platform}/p/{listing.pk}/{listing.handle}/")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_text("Added to your cart.").wait_for()
    page.goto(f"{site.platform}/cart/")
    expect(page.get_by_test_id("line-discount")).to_contain_text("Lamp week")
    page.get_by_role("textbox", name="Discount code").fill("WELCOME")
    page.get_by_role("button", name="Apply code").click()
    htmx_settled(page)
    expect(page.locator("#cart-code-error")).to_have_text("This code does not exist. Check its spelling.")
    assert_accessible(page)
    page.get_by_role("textbox", name="Discount code").fill("welcome5")
    page.get_by_role("button", name="Apply code").click()
    htmx_settled(page)
    expect(page.get_by_test_id("applied-code")).to_have_text("WELCOME5")
    expect(page.locator("#cart-discount")).to_contain_text("11.00")  # 6.00 sale + 5.00 coupon
    assert_accessible(page)
    shot(page, "promotions-cart-coupon")

    page.get_by_role("link", name="Checkout").click()
    address_fill(page)
    expect(page.locator("#summary-discount")).to_contain_text("11.00")
    shot(page, "promotions-checkout")
    page.get_by_role("button", name="Pay now").click()
    open_payment_page(page)
    fill_card(page, "4242 4242 4242 4242")
    page.locator("#pay-button").click()
    page.wait_for_url(re.compile(r".*/checkout/return/\d+/.*"))
    page.get_by_text("Thank you! Your order is confirmed.").wait_for(timeout=30_000)
    order = Order.objects.get(pk=int(re.search(r"/checkout/return/(\d+)/", page.url).group(1)))
    expect(page.locator("[data-order-discount]")).to_contain_text("11.00")
    assert_accessible(page)
    shot(page, "promotions-confirmed")

    assert (order.status, order.discount_amount, order.total_amount) == ("paid", 1100, 6000 - 1100 + 490)
    line = order.lines.get()
    assert (line.discount_amount, line.platform_discount_amount) == (1100, 500)
    coupon = Promotion.objects.get(code="WELCOME5")
    assert coupon.uses_count == 1
    assert Redemption.objects.filter(order=order, status="redeemed").count() == 2
    assert balances_by_code(currency="EUR")["platform_discounts"] == 500
    assert unbalanced_entries() == []
