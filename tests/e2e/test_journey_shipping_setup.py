"""Journey: a vendor sets up shipping (Settings › Shipping): a zone abroad with weight bands, then an
express method added in place; a buyer there checks out, chooses express, sees the delivery
estimate, and the order carries that choice."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from tests.e2e.journeys import (
    login,
    open_payment_page,
    publish_listing,
    switzerland_zone_set_up,
    zurich_checkout_choosing,
)
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
    switzerland_zone_set_up(page, dashboard, before_save=lambda filled: shot(filled, "shipping-zone-new"))
    shot(page, "shipping-zone-methods")
    page.get_by_role("link", name="Back to shipping").click()
    expect(page.get_by_role("heading", name="Switzerland")).to_be_visible()
    shot(page, "shipping-settings")

    with schema_context(vendor_a.store.schema_name):
        express = ShippingMethod.objects.get(zone__name="Switzerland", name="Express")
    login(page, site.platform, buyer.email, PASSWORD)
    zurich_checkout_choosing(page, site.platform, listing, method_id=express.pk, vendor_id=vendor_a.pk)
    expect(page.locator("#summary-total")).to_contain_text("73.90")
    shot(page, "shipping-checkout-express")
    page.get_by_role("button", name="Pay now").click()
    open_payment_page(page)

    sub = Order.objects.get(buyer=buyer).sub_orders.get()
    assert (sub.shipping_rate_id, sub.shipping_name, sub.shipping_amount, sub.shipping_kind) == (
        express.pk, "Express", 2490, "express")
    assert (sub.delivery_days_min, sub.delivery_days_max) == (1, 1)
