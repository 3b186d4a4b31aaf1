"""Journey 4: after a two-vendor order, each vendor sees only its part and ships it with tracking;
the buyer sees the tracking; transfers go out per each vendor's hold policy (set by an admin in the
ops console); each vendor's money page shows the net amounts that were transferred."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from common.money import format_money
from tests.e2e.journeys import (
    assert_accessible,
    buy_in_browser,
    connect_vendor,
    follow,
    login,
    publish_listing,
)
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant, shipping_rate
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def transfer_of(order, vendor):
    from payouts.models import Transfer

    return Transfer.objects.filter(sub_order__order=order, sub_order__vendor=vendor).first()


def ship(page, store: str, order, carrier: str, tracking: str, shot, name: str) -> None:
    page.goto(f"{store}/dashboard/orders/")
    assert_accessible(page)
    follow(page, page.get_by_role("link", name=order.number))
    assert_accessible(page)
    page.get_by_label("Carrier", exact=True).select_option(carrier)
    page.get_by_label("Tracking number").fill(tracking)
    shot(page, name)
    page.get_by_role("button", name="Mark shipped").click()
    page.get_by_role("heading", name=f"Order {order.number}").filter(has_text="Shipped").wait_for()
    expect(page.get_by_text(tracking)).to_be_visible()


def test_vendors_ship_buyer_tracks_and_transfers_follow_policy(
    page, browser, site, shot, live_server, task_worker, emulator_for_live_server,
    vendor_a, vendor_b, owner_a, owner_b, admin_user, buyer,
):
    connect_vendor(vendor_a, emulator_for_live_server)
    connect_vendor(vendor_b, emulator_for_live_server)
    lamp = publish_listing(vendor_a, sellable_variant(vendor_a, price=4900, stock=4,
                                                      name="Aurora Desk Lamp"))
    mug = publish_listing(vendor_b, sellable_variant(vendor_b, price=1250, stock=9,
                                                     name="Basalt Mug"))
    shipping_rate(vendor_a, name="Parcel", base_amount=490)
    shipping_rate(vendor_b, name="Letter", base_amount=190)

    # --- The admin holds Alpha's money until it ships; Bravo keeps the default (at once). ---
    ops = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US").new_page()
    try:
        login(ops, site.platform, admin_user.email, PASSWORD)
        ops.goto(f"{site.platform}/ops/payout-policies/")
        assert_accessible(ops)
        ops.get_by_label("Vendor", exact=True).select_option(label="Alpha")
        ops.get_by_label("Hold policy").select_option("on_shipment")
        ops.get_by_label("Note").fill("New seller: pay out on shipment")
        ops.get_by_role("button", name="Save").click()
        ops.get_by_text("Payout policy saved.").wait_for()
        expect(ops.get_by_role("cell", name="When shipped")).to_be_visible()
        shot(ops, "j4-01-payout-policy")
    finally:
        browser.finish(ops.context)

    # --- The buyer pays for both. ---
    login(page, site.platform, buyer.email, PASSWORD)
    order = buy_in_browser(page, site.platform, [lamp, mug])
    alpha_sub = order.sub_orders.get(vendor=vendor_a)
    bravo_sub = order.sub_orders.get(vendor=vendor_b)

    # Bravo's transfer goes out at once; Alpha's waits for the shipment.
    wait_until(lambda: (t := transfer_of(order, vendor_b)) and t.status == "transferred",
               message="Bravo's immediate transfer")
    wait_until(lambda: transfer_of(order, vendor_a), message="Alpha's pending transfer")
    assert transfer_of(order, vendor_a).status == "pending"

    # --- Each vendor sees its own part only and ships it with tracking. ---
    from orders.models import SubOrder

    wait_until(lambda: SubOrder.objects.filter(order=order, vendor_order_id__isnull=False).count() == 2,
               message="both vendors' copies")
    alpha_store, bravo_store = site.vendor(vendor_a), site.vendor(vendor_b)
    login(page, alpha_store, owner_a.email, PASSWORD)
    page.goto(f"{alpha_store}/dashboard/orders/")
    follow(page, page.get_by_role("link", name=order.number))
    expect(page.get_by_text("Aurora Desk Lamp")).to_be_visible()
    assert page.get_by_text("Basalt Mug").count() == 0  # Bravo's line is not Alpha's business
    ship(page, alpha_store, order, "dhl", "JD014600003DE", shot, "j4-02-alpha-ship")
    shot(page, "j4-03-alpha-shipped")
    # Alpha's history of the order: received, then shipped by its owner.
    history = page.locator("#vendor-order-timeline")
    history.scroll_into_view_if_needed()
    expect(history).to_contain_text("Order received")
    expect(history.locator('[data-event="vendor_order.shipped"]')).to_contain_text(owner_a.email)
    shot(page, "j4-03b-alpha-history")

    login(page, bravo_store, owner_b.email, PASSWORD)
    page.goto(f"{bravo_store}/dashboard/orders/")
    follow(page, page.get_by_role("link", name=order.number))
    expect(page.get_by_text("Basalt Mug")).to_be_visible()
    assert page.get_by_text("Aurora Desk Lamp").count() == 0
    ship(page, bravo_store, order, "dhl", "RR123456785DE", shot, "j4-04-bravo-ship")

    # --- Alpha's transfer is released by the shipment itself: once the shipment commits, the
    # sub-order is synced and its transfer released by the real worker (no beat runs here; the
    # beat `payouts-transfers-release-due` is only the safety net).
    wait_until(lambda: SubOrder.objects.get(pk=alpha_sub.pk).status == SubOrder.Status.FULFILLED,
               message="Alpha's sub-order fulfilled")
    wait_until(lambda: transfer_of(order, vendor_a).status == "transferred",
               message="Alpha's transfer released on shipment")

    # --- The buyer sees both trackings on the order page. ---
    login(page, site.platform, buyer.email, PASSWORD)

    def tracking_shown() -> bool:
        page.goto(f"{site.platform}/orders/{order.pk}/")
        return page.get_by_text("JD014600003DE").is_visible() and page.get_by_text(
            "RR123456785DE").is_visible()

    wait_until(tracking_shown, message="both trackings on the buyer's order page")
    assert_accessible(page)
    shot(page, "j4-05-buyer-tracking")
    # The buyer's history in plain words: placed, paid, each vendor's shipment, then everything.
    history = page.locator("#order-timeline")
    history.scroll_into_view_if_needed()
    for text in ("Order placed", "Payment received", "Alpha shipped your items", "Bravo shipped your items",
                 "Everything has shipped"):
        expect(history).to_contain_text(text)
    assert history.locator('[data-event="sub_order.paid"]').count() == 0  # the vendors' internal steps
    shot(page, "j4-05b-buyer-history")

    # --- Each vendor's money page shows the net amount, transferred. ---
    for vendor, owner, sub, name in ((vendor_a, owner_a, alpha_sub, "alpha"),
                                     (vendor_b, owner_b, bravo_sub, "bravo")):
        sub.refresh_from_db()
        store = site.vendor(vendor)
        login(page, store, owner.email, PASSWORD)
        page.goto(f"{store}/dashboard/money/")
        assert_accessible(page)
        row = page.get_by_test_id("money-row").filter(has_text=f"#{order.number}")
        cells = [text.replace("\xa0", " ") for text in row.get_by_role("cell").all_inner_texts()]
        assert cells[2] == format_money(sub.total_amount, "EUR")
        assert cells[3] == format_money(sub.commission_amount, "EUR")
        assert cells[5] == format_money(sub.net_amount, "EUR")
        assert sub.net_amount == sub.total_amount - sub.commission_amount
        assert cells[6] == "Transferred"
        assert transfer_of(order, vendor).amount == sub.net_amount
        shot(page, f"j4-06-money-{name}")
