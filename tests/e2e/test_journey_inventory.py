"""Journey: a vendor adds a warehouse, moves stock into it and puts a sold-out lamp on pre-order in
the dashboard; a buyer sees the date on the product page and in the cart, checks out and pays, and
the order records the unit sold beyond stock (the listing comes through the real worker's relay)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from frontend.templatetags.ui import day
from tests.e2e.journeys import (
    address_fill,
    assert_accessible,
    fill_card,
    follow,
    login,
    open_payment_page,
)
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHIPS = dt.date(2027, 1, 12)


def test_vendor_stocks_two_warehouses_and_a_buyer_preorders(
    page, site, shot, live_server, task_worker, emulator_for_live_server, vendor_a, owner_a,
):
    from catalog.models import StockLevel
    from marketplace.models import Listing
    from orders.models import Order, OrderLine
    from tests.factories import UserFactory

    aurora = sellable_variant(vendor_a, price=4900, stock=6, name="Aurora Desk Lamp")
    comet = sellable_variant(vendor_a, price=5900, stock=0, name="Comet Desk Lamp")
    store = site.vendor(vendor_a)
    login(page, store, owner_a.email, PASSWORD)

    # --- A second warehouse. ---
    page.goto(f"{store}/dashboard/stock/locations/")
    assert_accessible(page)
    page.get_by_label("Name").fill("Lyon depot")
    page.get_by_label("Country (ISO code)").fill("FR")
    page.get_by_label("Priority").fill("10")
    page.get_by_role("button", name="Add location").click()
    page.get_by_text("Location Lyon depot added.").wait_for()
    assert_accessible(page)
    follow(page, page.get_by_role("link", name="All locations").last)
    expect(page.locator('[data-location="Lyon depot"]')).to_be_visible()
    shot(page, "inventory-01-locations")

    # --- Stock moved into it; more than is there is refused. ---
    page.goto(f"{store}/dashboard/products/{aurora.product_id}/variants/{aurora.pk}/stock/")
    move = page.get_by_test_id("move-form")
    move.get_by_label("From").select_option(label="Main warehouse")
    move.get_by_label("To").select_option(label="Lyon depot")
    move.get_by_label("Units").fill("9")
    move.get_by_role("button", name="Move").click()
    expect(page.get_by_text("Main warehouse holds 6")).to_be_visible()
    move = page.get_by_test_id("move-form")
    move.get_by_label("Units").fill("4")
    move.get_by_role("button", name="Move").click()
    page.get_by_text("Stock updated.").wait_for()
    expect(page.locator('[data-testid="levels"] [data-location="Lyon depot"]')).to_contain_text("4")
    expect(page.get_by_test_id("stock")).to_have_text("6")
    assert_accessible(page)
    shot(page, "inventory-02-stock-by-location")
    with schema_context(vendor_a.store.schema_name):
        assert dict(StockLevel.objects.filter(variant_id=aurora.pk).values_list("location__name", "quantity")) == {
            "Main warehouse": 2, "Lyon depot": 4}

    # --- The sold-out lamp on pre-order. ---
    page.goto(f"{store}/dashboard/products/{comet.product_id}/variants/{comet.pk}/stock/")
    policy = page.get_by_test_id("policy-form")
    policy.get_by_label("When out of stock").select_option("preorder")
    policy.get_by_label("Units that may be sold beyond stock").fill("20")
    policy.get_by_label("Ships from").fill(SHIPS.isoformat())
    policy.get_by_role("button", name="Save policy").click()
    page.get_by_text("Stock updated.").wait_for()
    expect(page.get_by_test_id("policy")).to_contain_text("Pre-order")
    shot(page, "inventory-03-preorder-policy")

    def published() -> bool:
        listing = Listing.objects.filter(vendor=vendor_a, product_id=comet.product_id).first()
        return listing is not None and listing.orderable

    wait_until(published, timeout=30, message="the pre-order listed through the relay")
    listing = Listing.objects.get(vendor=vendor_a, product_id=comet.product_id)

    # --- The buyer sees the date, orders and pays. ---
    buyer = UserFactory(email="e2e-preorder@example.com")
    login(page, site.platform, buyer.email, PASSWORD)
    page.goto(f"{site.platform}/p/{listing.pk}/{listing.handle}/")
    expect(page.get_by_test_id("availability")).to_have_text(f"Pre-order · ships from {day(SHIPS)}")
    shot(page, "inventory-04-preorder-product")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_text("Added to your cart.").wait_for()
    page.goto(f"{site.platform}/cart/")
    expect(page.get_by_test_id("ships-from")).to_have_text(f"Ships from {day(SHIPS)}")
    assert_accessible(page)
    shot(page, "inventory-05-cart-ships-from")
    page.get_by_role("link", name="Checkout").click()
    address_fill(page)
    page.get_by_role("button", name="Pay now").click()
    open_payment_page(page)
    fill_card(page, "4242 4242 4242 4242")
    page.locator("#pay-button").click()
    page.wait_for_url(re.compile(r".*/checkout/return/\d+/.*"))
    page.get_by_text("Thank you! Your order is confirmed.").wait_for(timeout=30_000)
    order = Order.objects.get(pk=int(re.search(r"/checkout/return/(\d+)/", page.url).group(1)))

    page.goto(f"{site.platform}/orders/{order.pk}/")
    expect(page.get_by_test_id("line-backorder")).to_contain_text(f"1 on backorder, ships from {day(SHIPS)}")
    assert_accessible(page)
    shot(page, "inventory-06-order-preordered")
    line = OrderLine.objects.get(order=order)
    assert (line.backordered_quantity, line.ships_from) == (1, SHIPS)
