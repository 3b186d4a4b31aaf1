"""Journey: support. A platform admin (with two-factor) finds an order by the buyer's email, refunds
one vendor's part with a reason, and takes a listing down; the vendor sees the takedown and appeals;
ops restore it. Then the buyer's privacy page and the vendor's close-the-store page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import (
    assert_accessible,
    buy_in_browser,
    connect_vendor,
    follow,
    login,
    publish_listing,
)
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_support_finds_an_order_refunds_one_part_and_takes_a_listing_down(
    page, site, shot, live_server, task_worker, emulator_for_live_server, vendor_a, vendor_b, owner_b, buyer,
    admin_user,
):
    from marketplace.models import Listing
    from orders.models import SubOrder

    connect_vendor(vendor_a, emulator_for_live_server)
    connect_vendor(vendor_b, emulator_for_live_server)
    teapot = publish_listing(vendor_a, sellable_variant(vendor_a, price=2500, stock=5, name="Iron Teapot"))
    listing = publish_listing(vendor_b, sellable_variant(vendor_b, price=4000, stock=5, name="Fake Designer Lamp"))
    # The buyer buys from both vendors, paying on the emulator (the real payment path).
    login(page, site.platform, buyer.email, PASSWORD)
    order = buy_in_browser(page, site.platform, [teapot, listing])
    part_b = order.sub_orders.get(vendor=vendor_b)
    wait_until(lambda: SubOrder.objects.filter(order=order, status=SubOrder.Status.PAID).count() == 2,
               message="both parts paid")

    # --- Find the order by the buyer's email (Support, type, Search, the order: 3 clicks). ---
    login(page, site.platform, admin_user.email, PASSWORD)
    page.goto(f"{site.platform}/ops/")
    follow(page, page.get_by_role("link", name="Support", exact=True))
    page.get_by_label("Order number, buyer email").fill(buyer.email)
    follow(page, page.locator("#support-search"))
    expect(page.locator(f'tr[data-order="{order.pk}"]')).to_contain_text(vendor_b.name)
    assert_accessible(page)
    shot(page, "support-01-search-by-email")
    follow(page, page.locator(f'tr[data-order="{order.pk}"] a'))
    expect(page.locator("#order-timeline")).to_contain_text("order.paid")
    assert_accessible(page)
    shot(page, "support-02-order-timeline")

    # --- Refund vendor B's part with a reason (1 click after typing it). ---
    row = page.locator(f'tr[data-part="{part_b.pk}"]')
    row.get_by_label("Reason").fill("Lamp arrived broken, buyer sent photos")
    row.get_by_role("button", name="Refund this part").click()  # the form redirects back to the same page
    expect(page.locator("#toasts")).to_contain_text("refunded")
    expect(page.locator(f'tr[data-part="{part_b.pk}"]')).to_contain_text("Nothing left to refund")
    expect(page.locator("#order-timeline")).to_contain_text("Lamp arrived broken, buyer sent photos")
    shot(page, "support-03-part-refunded")
    part_b.refresh_from_db()
    assert part_b.refunded_amount == part_b.total_amount
    assert order.sub_orders.get(vendor=vendor_a).refunded_amount == 0
    assert order.sub_orders.get(vendor=vendor_a).status == SubOrder.Status.PAID

    # --- Take the listing down (search its title, type a reason, Take down). ---
    page.goto(f"{site.platform}/ops/support/")
    page.get_by_label("Order number, buyer email").fill("Fake Designer")
    follow(page, page.locator("#support-search"))
    listing_row = page.locator(f'tr[data-listing="{listing.pk}"]')
    listing_row.get_by_label("Reason").fill("Counterfeit of a registered design")
    assert_accessible(page)
    shot(page, "support-04-listing-found")
    follow(page, listing_row.get_by_role("button", name="Take down"))
    expect(page.locator("#toasts")).to_contain_text("taken down")
    shot(page, "support-05-takedowns")
    assert Listing.objects.get(pk=listing.pk).vendor_visible is False
    assert page.goto(f"{site.platform}/p/{listing.pk}/{listing.handle}/").status == 404  # gone for buyers

    # --- The vendor sees it and appeals; ops restore it. ---
    vendor_site = site.vendor(vendor_b)
    login(page, vendor_site, owner_b.email, PASSWORD)
    page.goto(f"{vendor_site}/dashboard/")
    follow(page, page.get_by_role("link", name="Takedowns"))
    expect(page.locator("#takedowns")).to_contain_text("Counterfeit of a registered design")
    assert_accessible(page)
    shot(page, "support-06-vendor-takedowns")
    follow(page, page.locator("#takedowns a"))
    page.get_by_label("Why should the listing be restored?").fill("We hold the design licence; invoice attached")
    page.get_by_role("button", name="Appeal").click()  # the form redirects back to the same page
    expect(page.locator("#takedown-status")).to_have_text("Appealed")
    assert_accessible(page)
    shot(page, "support-07-vendor-appealed")

    login(page, site.platform, admin_user.email, PASSWORD)
    page.goto(f"{site.platform}/ops/support/takedowns/")
    expect(page.locator("#takedowns")).to_contain_text("We hold the design licence")
    assert_accessible(page)
    page.get_by_role("button", name="Restore").click()  # the form redirects back to the same page
    expect(page.locator("#toasts")).to_contain_text("restored")
    assert Listing.objects.get(pk=listing.pk).vendor_visible is True


def test_privacy_and_close_the_store_pages(page, site, shot, live_server, vendor_a, owner_a, buyer, admin_user):
    login(page, site.platform, buyer.email, PASSWORD)
    page.goto(f"{site.platform}/accounts/privacy/")
    expect(page.locator("#privacy-retention")).to_contain_text("legal retention")
    page.locator("#privacy-export").click()  # the form redirects back to the same page
    expect(page.locator("#privacy-requests")).to_contain_text("export")
    assert_accessible(page)
    shot(page, "support-08-privacy")

    vendor_site = site.vendor(vendor_a)
    login(page, vendor_site, owner_a.email, PASSWORD)
    page.goto(f"{vendor_site}/dashboard/close/")
    page.get_by_label("Why are you leaving?").fill("Retiring this year")
    page.get_by_role("button", name="Close my store").click()  # the form redirects back to the same page
    expect(page.locator("#offboarding-status")).to_contain_text("Closing")
    assert_accessible(page)
    shot(page, "support-09-store-closing")

    login(page, site.platform, admin_user.email, PASSWORD)
    page.goto(f"{site.platform}/ops/support/vendors/{vendor_a.pk}/offboarding/")
    expect(page.locator("#vendor-status")).to_have_text("Closed")
    assert_accessible(page)
    shot(page, "support-10-ops-offboarding")
    page.get_by_role("button", name="Reopen the store").click()  # the form redirects back to the same page
    expect(page.locator("#vendor-status")).to_have_text("Active")
