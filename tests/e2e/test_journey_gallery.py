"""The gallery: every main page of the three sides (buyer, vendor, ops) at a phone's and a desktop's
width, each checked by axe-core at that width and saved as `<page>-phone.png` / `<page>-desktop.png`
(UPDATE_SCREENSHOTS=1 writes them to docs/screenshots)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.journeys import (
    address_fill,
    assert_accessible,
    connect_vendor,
    fill_card,
    login,
    open_payment_page,
    pictured_listing,
)
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant, shipping_rate
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
PRODUCTS = [
    ("Linen Table Lamp", 5900), ("Copper Kettle", 3990), ("Oak Serving Tray", 2150),
    ("Merino Throw", 8900), ("Stoneware Mug", 1250), ("Walnut Cutting Board", 4500),
    ("Rattan Basket", 2900), ("Beeswax Candles", 1490),
]


def gallery(page, shot, name: str) -> None:
    """Audit the page and photograph it at each width (the desktop first, as it was loaded)."""
    for width, size in WIDTHS.items():
        page.set_viewport_size(size)
        assert_accessible(page, fresh=True)
        shot(page, f"{name}-{width}")
    page.set_viewport_size(WIDTHS["desktop"])


def vendor_a_order_number(buyer) -> str:
    from orders.models import Order

    return Order.objects.filter(buyer=buyer).latest("pk").number


def visit(page, shot, name: str, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"
    gallery(page, shot, name)


@pytest.fixture
def shop(vendor_a, vendor_b, emulator_for_live_server, _journey_media):
    connect_vendor(vendor_a, emulator_for_live_server)
    connect_vendor(vendor_b, emulator_for_live_server)
    shipping_rate(vendor_a, name="Parcel", base_amount=490)
    shipping_rate(vendor_b, name="Parcel", base_amount=590)
    listings = []
    for n, (name, price) in enumerate(PRODUCTS):
        vendor = (vendor_a, vendor_b)[n % 2]
        listings.append(pictured_listing(vendor, sellable_variant(vendor, price=price, stock=12, name=name), n))
    return listings


def test_every_main_page_at_phone_and_desktop_width(
    page, site, shot, live_server, task_worker, shop, vendor_a, owner_a, buyer, admin_user,
):
    page.set_viewport_size(WIDTHS["desktop"])
    lamp = shop[0]

    # --- The buyer's side. ---
    login(page, site.platform, buyer.email, PASSWORD)
    visit(page, shot, "home", f"{site.platform}/")
    visit(page, shot, "search", f"{site.platform}/search/?q=lamp")
    visit(page, shot, "product", f"{site.platform}/p/{lamp.pk}/{lamp.handle}/")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_text("Added to your cart.").wait_for()
    page.goto(f"{site.platform}/p/{shop[1].pk}/{shop[1].handle}/")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_text("Added to your cart.").wait_for()
    visit(page, shot, "cart", f"{site.platform}/cart/")
    visit(page, shot, "checkout", f"{site.platform}/checkout/")
    address_fill(page)
    page.get_by_role("button", name="Pay now").click()
    open_payment_page(page)
    fill_card(page, "4242 4242 4242 4242")
    page.locator("#pay-button").click()
    page.wait_for_url(re.compile(r".*/checkout/return/\d+/.*"), timeout=30_000)
    page.get_by_text("Thank you! Your order is confirmed.").wait_for(timeout=30_000)
    gallery(page, shot, "confirmation")
    visit(page, shot, "buyer-orders", f"{site.platform}/orders/")

    # --- The vendor's side, on its own host. ---
    store = site.vendor(vendor_a)
    visit(page, shot, "storefront", f"{store}/")
    login(page, store, owner_a.email, PASSWORD)
    visit(page, shot, "vendor-overview", f"{store}/dashboard/")
    visit(page, shot, "vendor-products", f"{store}/dashboard/products/")
    # The order just paid reaches the vendor's schema through the worker: reload until it shows.
    wait_until(lambda: page.goto(f"{store}/dashboard/orders/") and page.get_by_role("main").get_by_text(
        vendor_a_order_number(buyer)).count(), message="the paid order on the vendor's orders page")
    gallery(page, shot, "vendor-orders")
    visit(page, shot, "vendor-money", f"{store}/dashboard/money/")

    # --- Operations, for platform staff. ---
    login(page, site.platform, admin_user.email, PASSWORD)
    visit(page, shot, "ops-home", f"{site.platform}/ops/")
    visit(page, shot, "ops-vendors", f"{site.platform}/ops/vendors/")
    visit(page, shot, "ops-claims", f"{site.platform}/ops/claims/")
    visit(page, shot, "ops-finance", f"{site.platform}/ops/finance/")
