"""Journey: logistics abroad (issue 25's "done when"). A vendor in Germany sets up a shipping zone
for Switzerland with weight bands and an express method (Settings › Shipping); a buyer in Zürich
checks out choosing express; the parcel crosses a customs border, so the label is refused until the
product has its HS code and country of origin; the vendor prints the packing slip and the label,
ships, the carrier's signed "delivered" webhook arrives, and the transfer, held until three days
after delivery, is released on schedule."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from orders.models import Order, SubOrder, TrackingReceipt
from payouts import transfers
from payouts.models import Transfer
from tests.e2e.journeys import (
    assert_accessible,
    connect_vendor,
    fill_card,
    follow,
    login,
    open_payment_page,
    publish_listing,
    switzerland_zone_set_up,
    zurich_checkout_choosing,
)
from tests.e2e.test_journey_logistics import FETCH_PDF, delivered_webhook
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_vendor_ships_abroad_with_customs_and_the_delivery_releases_the_payout(
    page, site, shot, live_server, task_worker, emulator_for_live_server, vendor_a, owner_a,
):
    from catalog.models import Product
    from fulfillment.shipping.models import ShippingMethod
    from tests.factories import UserFactory

    assert vendor_a.country == "DE"  # Switzerland is outside the EU's customs union
    buyer = UserFactory(email="e2e-zurich@example.com")
    connect_vendor(vendor_a, emulator_for_live_server)
    transfers.vendor_payout_policy_set(vendor_id=vendor_a.pk, hold_policy="days_after_delivery", hold_days=3)
    lamp = sellable_variant(vendor_a, price=4900, stock=4, name="Aurora Desk Lamp", weight_grams=1200)
    listing = publish_listing(vendor_a, lamp)

    # --- The vendor sets up a zone abroad: standard by weight, then express added in place. ---
    store = site.vendor(vendor_a)
    login(page, store, owner_a.email, PASSWORD)
    switzerland_zone_set_up(page, store)
    assert_accessible(page)
    shot(page, "l2-01-vendor-zone-abroad")
    with schema_context(vendor_a.store.schema_name):
        express = ShippingMethod.objects.get(zone__name="Switzerland", name="Express")

    # --- A buyer in Zürich checks out choosing express, and pays. ---
    login(page, site.platform, buyer.email, PASSWORD)
    zurich_checkout_choosing(page, site.platform, listing, method_id=express.pk, vendor_id=vendor_a.pk)
    expect(page.locator("#summary-total")).to_contain_text("73.90")
    assert_accessible(page)
    shot(page, "l2-02-buyer-checkout-abroad")
    page.get_by_role("button", name="Pay now").click()
    open_payment_page(page)
    fill_card(page, "4242 4242 4242 4242")
    page.locator("#pay-button").click()
    page.wait_for_url(re.compile(r".*/checkout/return/\d+/.*"), timeout=30_000)
    page.get_by_text("Thank you! Your order is confirmed.").wait_for(timeout=30_000)
    order = Order.objects.get(buyer=buyer)
    sub = order.sub_orders.get()
    assert (sub.shipping_name, sub.shipping_amount, sub.shipping_kind) == ("Express", 2490, "express")
    wait_until(lambda: SubOrder.objects.filter(pk=sub.pk, vendor_order_id__isnull=False).exists(),
               message="the vendor's copy of the order")
    wait_until(lambda: Transfer.objects.filter(sub_order_id=sub.pk).exists(), message="the transfer, held")

    # --- The vendor opens the order: it leaves the customs union, and the product lacks customs data. ---
    login(page, store, owner_a.email, PASSWORD)
    page.goto(f"{store}/dashboard/orders/")
    follow(page, page.get_by_role("link", name=order.number))
    order_url = page.url
    expect(page.get_by_text("International: customs declaration included")).to_be_visible()
    expect(page.locator("aside")).to_contain_text("Express")
    page.get_by_label("Label carrier").select_option("dhl")
    page.get_by_role("button", name="Create shipping label").click()
    expect(page.locator("#label-error")).to_contain_text("add an HS code and a country of origin")
    expect(page.locator("#label-error")).to_contain_text(lamp.sku)
    expect(page.locator("#labels")).to_have_count(0)  # nothing half-made

    # --- It completes the product's customs data, then the label carries the declaration. ---
    page.goto(f"{store}/dashboard/products/{lamp.product_id}/")
    page.get_by_label("HS code (customs)").fill("940520")
    page.get_by_label("Country of origin (customs)").fill("DE")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Product saved.").wait_for()
    with schema_context(vendor_a.store.schema_name):
        assert Product.objects.values_list("hs_code", "origin_country").get(pk=lamp.product_id) == ("940520", "DE")
    page.goto(order_url)
    slip = page.get_by_role("link", name="Print packing slip").get_attribute("href")
    assert page.evaluate(FETCH_PDF, slip) == [200, "application/pdf", "%PDF-"]
    page.get_by_label("Label carrier").select_option("dhl")
    page.get_by_role("button", name="Create shipping label").click()
    page.get_by_text("Label ready").wait_for()
    expect(page.locator("#labels")).to_contain_text("with customs declaration")
    label = page.locator("#labels a").first
    tracking_number = label.inner_text().removeprefix("Label ").strip()
    assert page.evaluate(FETCH_PDF, label.get_attribute("href")) == [200, "application/pdf", "%PDF-"]
    expect(page.get_by_label("Carrier", exact=True)).to_have_value("dhl")
    expect(page.get_by_label("Tracking number")).to_have_value(tracking_number)
    page.locator("#documents-heading").scroll_into_view_if_needed()
    assert_accessible(page)
    shot(page, "l2-03-vendor-label-with-customs")

    # --- It ships; the carrier delivers, its signed webhook reaches the platform. ---
    page.get_by_role("button", name="Mark shipped").click()
    page.get_by_role("heading", name=f"Order {order.number}").filter(has_text="Shipped").wait_for()
    wait_until(lambda: SubOrder.objects.get(pk=sub.pk).status == SubOrder.Status.FULFILLED,
               message="the shipment synced to the public order")
    assert Transfer.objects.get(sub_order_id=sub.pk).status == Transfer.Status.PENDING  # not delivered yet
    delivered_at = timezone.now().replace(microsecond=0)
    port = live_server.url.rsplit(":", 1)[1]
    assert delivered_webhook(port, tracking_number, delivered_at) == 200
    assert TrackingReceipt.objects.get(tracking_number=tracking_number).outcome == "applied"
    wait_until(lambda: SubOrder.objects.get(pk=sub.pk).status == SubOrder.Status.DELIVERED,
               message="the delivery synced to the public order")

    # --- The buyer abroad sees it delivered with the carrier's link. ---
    login(page, site.platform, buyer.email, PASSWORD)
    page.goto(f"{site.platform}/orders/{order.pk}/")
    part = page.locator(f'[data-vendor="{vendor_a.slug}"]')
    expect(part).to_contain_text("Delivered")
    expect(part.get_by_role("link", name=f"Track {tracking_number}")).to_have_attribute(
        "href", f"https://www.dhl.com/global-en/home/tracking/tracking-parcel.html?submit=1&tracking-id={tracking_number}")
    assert_accessible(page)
    shot(page, "l2-04-buyer-abroad-delivered")

    # --- The money: held until three days after the delivery, then released by the scheduled task. ---
    due = delivered_at + dt.timedelta(days=3)
    transfer = wait_until(lambda: Transfer.objects.filter(sub_order_id=sub.pk, release_at=due).first(),
                          message="the release date counted from the delivery")
    assert transfers.transfers_release_due(now=due - dt.timedelta(minutes=1))["sent"] == 0
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.PENDING
    assert transfers.transfers_release_due(now=due + dt.timedelta(minutes=1))["sent"] == 1
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.TRANSFERRED
