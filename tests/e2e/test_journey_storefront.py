"""Journey (issue 26, ADRs 0090 and 0091): a vendor brands its storefront (a colour too pale is
refused with the contrast it has), a buyer shops on the vendor's own host, adds to cart there and
ends in the marketplace's cart and checkout, pays, and follows the store from its storefront."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import (
    address_fill,
    assert_accessible,
    connect_vendor,
    fill_card,
    follow,
    login,
    open_payment_page,
    pictured_listing,
)
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant, shipping_rate

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_vendor_brands_storefront_buyer_buys_on_vendor_host_and_follows(
    page, site, shot, live_server, task_worker, emulator_for_live_server, _journey_media,
    vendor_a, owner_a, buyer,
):
    from marketplace.models import StoreFollow
    from orders.models import Order

    connect_vendor(vendor_a, emulator_for_live_server)
    lantern = pictured_listing(vendor_a, sellable_variant(vendor_a, price=3900, stock=5, name="Storm Lantern"), 7)
    shipping_rate(vendor_a, name="Parcel", base_amount=490)
    store = site.vendor(vendor_a)

    # --- The vendor brands its storefront; a pale brand colour is refused with its contrast. ---
    login(page, store, owner_a.email, PASSWORD)
    page.goto(f"{store}/dashboard/storefront/")
    page.get_by_label("Store name").fill("Alpha Outdoors")
    page.get_by_label("About the store").fill("Tents, lanterns and stoves, tested on the Alps since 1999.")
    page.get_by_label("Shipping policy").fill("Dispatched within two working days.")
    page.get_by_label("Returns policy").fill("30 days, free of charge.")
    page.get_by_label("Brand colour (#rrggbb, for buttons and links)").fill("#ffd75e")
    page.get_by_label("Header colour (#rrggbb)").fill("#163b2c")
    page.get_by_label("Instagram").fill("https://instagram.com/alpha-outdoors")
    page.get_by_role("button", name="Save").click()
    refusal = page.get_by_text("This colour is too light to read on the page")
    expect(refusal).to_be_visible()
    refusal.scroll_into_view_if_needed()
    assert_accessible(page)
    shot(page, "sf-01-branding-contrast-refused")
    page.get_by_label("Brand colour (#rrggbb, for buttons and links)").fill("#0b6e4f")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Storefront settings saved.")).to_be_visible()

    # --- The buyer, signed in on the marketplace, shops on the vendor's own host. ---
    login(page, site.platform, buyer.email, PASSWORD)
    page.context.clear_cookies(domain=vendor_a.host)  # a buyer's browser: no session on the vendor's host
    page.goto(f"{store}/")
    expect(page.locator("[data-storefront-header]")).to_contain_text("Alpha Outdoors")
    assert_accessible(page)
    shot(page, "sf-02-branded-storefront")
    follow(page, page.get_by_role("link", name="Storm Lantern"))
    assert page.url == f"{store}/products/{lantern.product_id}/{lantern.handle}/"
    canonical = page.locator("link[rel=canonical]").get_attribute("href")
    assert canonical == f"{site.platform}/p/{lantern.pk}/{lantern.handle}/"
    assert page.locator("img.gallery-main").get_attribute("srcset")
    assert_accessible(page)
    shot(page, "sf-03-product-on-vendor-host")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(f"{site.platform}/cart/")
    expect(page.get_by_text("Added to your cart.")).to_be_visible()
    expect(page.locator("[data-sku]")).to_contain_text("Storm Lantern")
    assert_accessible(page)
    shot(page, "sf-04-platform-cart-from-store")

    # --- The same checkout as the marketplace's. ---
    page.goto(f"{site.platform}/checkout/")
    address_fill(page)
    page.get_by_role("button", name="Pay now").click()
    open_payment_page(page)
    fill_card(page, "4242 4242 4242 4242")
    page.locator("#pay-button").click()
    page.wait_for_url(re.compile(r".*/checkout/return/\d+/.*"), timeout=30_000)
    page.get_by_text("Thank you! Your order is confirmed.").wait_for(timeout=30_000)
    order = Order.objects.get(pk=int(re.search(r"/checkout/return/(\d+)/", page.url).group(1)))
    assert order.buyer_id == buyer.pk and [line.quantity for line in order.lines.all()] == [2]

    # --- Back on the storefront, the buyer follows the store and finds it in the account. ---
    page.goto(f"{store}/about/")
    expect(page.get_by_text("Tents, lanterns and stoves")).to_be_visible()
    assert_accessible(page)
    follow(page, page.get_by_role("link", name="Follow this store"))
    assert_accessible(page)
    page.get_by_role("button", name="Follow this store").click()
    page.wait_for_url(f"{site.platform}/account/stores/")
    expect(page.locator("#followed-stores")).to_contain_text(vendor_a.name)
    assert StoreFollow.objects.filter(user=buyer, vendor=vendor_a).exists()
    assert_accessible(page)
    shot(page, "sf-05-followed-stores")
