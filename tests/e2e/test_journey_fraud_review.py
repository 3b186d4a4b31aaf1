"""Journey 8: a buyer pays with Stripe's elevated-risk test card; the order is held: the vendor
sees it on hold and cannot ship; a platform admin (with two-factor) approves it from the review
queue (htmx) and the vendor can ship."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from tests.e2e.journeys import (
    assert_accessible,
    buy_in_browser,
    connect_vendor,
    login,
    publish_listing,
)
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant, shipping_rate
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ELEVATED_RISK_CARD = "4000 0000 0000 9235"


def test_ops_approves_an_elevated_risk_order_before_the_vendor_ships(
    page, site, shot, live_server, task_worker, emulator_for_live_server, vendor_a, owner_a, buyer, admin_user,
):
    from fulfillment.models import VendorOrder
    from orders.models import OrderReview
    from payouts.models import Transfer

    connect_vendor(vendor_a, emulator_for_live_server)
    kettle = publish_listing(vendor_a, sellable_variant(vendor_a, price=3990, stock=9, name="Copper Kettle"))
    shipping_rate(vendor_a, name="Parcel", base_amount=490)
    login(page, site.platform, buyer.email, PASSWORD)
    order = buy_in_browser(page, site.platform, [kettle], card=ELEVATED_RISK_CARD)
    wait_until(lambda: OrderReview.objects.filter(order=order, status="pending").exists(), message="order held")

    def vendor_copy():
        with schema_context(vendor_a.store.schema_name):
            return VendorOrder.objects.filter(order_id=order.pk).first()

    copy = wait_until(vendor_copy, message="the vendor's copy")
    assert Transfer.objects.get(order=order).status == Transfer.Status.HELD

    # --- The vendor sees the hold and no way to ship. ---
    vendor_site = site.vendor(vendor_a)
    login(page, vendor_site, owner_a.email, PASSWORD)
    page.goto(f"{vendor_site}/dashboard/orders/{copy.pk}/")
    expect(page.locator("#order-on-hold")).to_contain_text("On hold for review")
    expect(page.locator("#ship-button")).to_have_count(0)
    assert_accessible(page)
    shot(page, "j8-01-vendor-order-on-hold")

    # --- A platform admin reviews and approves it. ---
    login(page, site.platform, admin_user.email, PASSWORD)
    page.goto(f"{site.platform}/ops/reviews/")
    row = page.locator(f"#review-{order.pk}")
    expect(row).to_contain_text("Stripe Radar: elevated risk")
    expect(row).to_contain_text("elevated (score 65)")
    assert_accessible(page)
    shot(page, "j8-02-review-queue")
    row.get_by_label("Reason (required to refuse)").fill("Buyer confirmed the order by phone")
    page.locator(f"#approve-{order.pk}").click()
    expect(page.locator(f"#review-{order.pk}-status")).to_have_text("Approved")
    expect(page.locator(f"#review-{order.pk}-decision")).to_contain_text("Buyer confirmed the order by phone")
    shot(page, "j8-03-review-approved")
    assert Transfer.objects.get(order=order).status != Transfer.Status.HELD

    # --- The vendor may ship now. ---
    login(page, vendor_site, owner_a.email, PASSWORD)
    page.goto(f"{vendor_site}/dashboard/orders/{copy.pk}/")
    expect(page.locator("#order-on-hold")).to_have_count(0)
    expect(page.locator("#ship-button")).to_be_visible()
