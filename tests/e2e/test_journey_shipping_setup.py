"""Journey: a vendor sets up shipping (Settings › Shipping): a zone abroad with weight bands, then an
express method added in place; a buyer there checks out, chooses express, sees the delivery
estimate, and the order carries that choice."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from tests.e2e.journeys import htmx_settled, login, open_payment_page, publish_listing
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_vendor_sets_up_zones_and_a_buyer_abroad_chooses_express(page, site, shot, live_server,
                                                                 emulator_for_live_server, vendor_a, owner_a):
    from fulfillment.shipping.models import ShippingMethod
    from orders.models import Order
    from tests.factories import UserFactory

    buyer = UserFactory(email="e2e-abroad@example.com")
    lamp = sellable_variant(vendor_a, price=4900, stock=4, name="Aurora Desk Lamp", weight_grams=1200)
    listing = publish_listing(vendor_a, lamp)

    dashboard = site.vendor(vendor_a)
    login(page, dashboard, owner_a.email, PASSWORD)
    page.goto(f"{dashboard}/dashboard/")
    page.get_by_role("link", name="Shipping", exact=True).click()
    expect(page.get_by_role("heading", name="Shipping", exact=True)).to_be_visible()
    page.get_by_role("link", name="Add zone").click()
    page.get_by_label("Zone name").fill("Switzerland")
    page.get_by_label("Countries").fill("CH, LI")
    page.get_by_label("Method name").fill("Post")
    page.locator("#id_method-rate_kind").select_option("weight")
    page.get_by_label("Bands").fill("0 1000 7.00\n1000 5000 12.50\n5000 * 19.00")
    page.get_by_label("Transit days, at least").fill("2")
    page.get_by_label("Transit days, at most").fill("4")
    shot(page, "shipping-zone-new")
    page.get_by_role("button", name="Save zone").click()
    expect(page.get_by_role("heading", name="Switzerland")).to_be_visible()

    add = page.locator("#method-add-form")
    add.get_by_label("Method name").fill("Express")
    add.locator("#id_method-kind").select_option("express")
    add.get_by_label("Flat price").fill("24.90")
    add.get_by_label("Handling days").fill("0")
    add.get_by_label("Transit days, at least").fill("1")
    add.get_by_label("Transit days, at most").fill("1")
    add.get_by_role("button", name="Add method").click()
    expect(page.locator("#zone-methods").get_by_role("cell", name="Express Express")).to_be_visible()
    shot(page, "shipping-zone-methods")
    page.get_by_role("link", name="Back to shipping").click()
    expect(page.get_by_role("heading", name="Switzerland")).to_be_visible()
    shot(page, "shipping-settings")

    with schema_context(vendor_a.store.schema_name):
        express = ShippingMethod.objects.get(zone__name="Switzerland", name="Express")
    login(page, site.platform, buyer.email, PASSWORD)
    page.goto(f"{site.platform}/p/{listing.pk}/{listing.handle}/")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_text("Added to your cart.").wait_for()
    page.goto(f"{site.platform}/checkout/")
    page.get_by_label("Full name").fill("Bea Buyer")
    page.get_by_label("Address", exact=True).fill("Bahnhofstrasse 1")
    page.get_by_label("Postal code").fill("8001")
    page.get_by_label("City").fill("Zürich")
    page.get_by_label("Country").select_option("CH")
    options = page.get_by_label("Shipping option")
    # 1.2 kg: the second band of the standard rate, 12.50; express is flat.
    expect(options).to_contain_text("Post — 12.50 EUR")
    htmx_settled(page)  # the refreshed summary's select is wired up
    options.select_option(str(express.pk))
    estimate = page.locator(f"#delivery-estimate-{vendor_a.pk}")
    expect(estimate).to_contain_text("Estimated delivery:")
    expect(page.locator("#summary-total")).to_contain_text("73.90")
    shot(page, "shipping-checkout-express")
    page.get_by_role("button", name="Pay now").click()
    open_payment_page(page)

    sub = Order.objects.get(buyer=buyer).sub_orders.get()
    assert (sub.shipping_rate_id, sub.shipping_name, sub.shipping_amount, sub.shipping_kind) == (
        express.pk, "Express", 2490, "express")
    assert (sub.delivery_days_min, sub.delivery_days_max) == (1, 1)
