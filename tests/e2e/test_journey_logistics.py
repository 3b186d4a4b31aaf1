"""Journey: logistics. A vendor opens a paid order, prints its packing slip and a shipping label,
ships with the label's carrier and tracking number; the carrier's signed "delivered" webhook
arrives; the buyer sees "Delivered" with a link to the carrier, and the vendor's transfer, held
until N days after delivery, is released on schedule."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from fulfillment.tracking import EasyPostTracking
from orders.models import SubOrder, TrackingReceipt
from payouts import transfers
from payouts.models import Transfer
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

SAMPLE = Path(__file__).resolve().parents[1] / "fulfillment" / "samples" / "easypost" / "tracker_delivered.json"

FETCH_PDF = """async (url) => {
  const response = await fetch(url);
  const head = new TextDecoder("latin1").decode((await response.arrayBuffer()).slice(0, 5));
  return [response.status, response.headers.get("content-type"), head];
}"""


def delivered_webhook(port: str, tracking_number: str, delivered_at: dt.datetime) -> int:
    """The carrier aggregator's signed "delivered" event for this parcel (the shipped sample, made
    about this parcel and this moment, then signed with the endpoint's secret)."""
    event = json.loads(SAMPLE.read_text())
    stamp = delivered_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    event["id"] = f"evt_journey_{tracking_number}"
    event["result"]["tracking_code"] = tracking_number
    event["result"]["updated_at"] = stamp
    event["result"]["tracking_details"][-1]["datetime"] = stamp
    body = json.dumps(event).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/tracking/easypost/", data=body, method="POST",
        headers={"Host": f"marketplace.localhost:{port}", "Content-Type": "application/json",
                 "X-Hmac-Signature": EasyPostTracking.signature(body=body, secret=settings.TRACKING_WEBHOOK_SECRET)})
    try:
        with urllib.request.urlopen(request, timeout=40) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_vendor_prints_ships_carrier_delivers_buyer_sees_it_and_the_transfer_follows(
    page, site, shot, live_server, task_worker, emulator_for_live_server, vendor_a, owner_a, buyer,
):
    connect_vendor(vendor_a, emulator_for_live_server)
    transfers.vendor_payout_policy_set(vendor_id=vendor_a.pk, hold_policy="days_after_delivery", hold_days=3)
    stove = publish_listing(vendor_a, sellable_variant(vendor_a, price=6400, stock=3, name="Summit Camp Stove"))
    shipping_rate(vendor_a, name="Parcel", base_amount=590)

    login(page, site.platform, buyer.email, PASSWORD)
    order = buy_in_browser(page, site.platform, [stove])
    sub = order.sub_orders.get()
    wait_until(lambda: SubOrder.objects.filter(pk=sub.pk, vendor_order_id__isnull=False).exists(),
               message="the vendor's copy of the order")
    wait_until(lambda: Transfer.objects.filter(sub_order_id=sub.pk).exists(), message="the transfer, held")

    # --- The vendor opens the order: packing slip, then a label. ---
    store = site.vendor(vendor_a)
    login(page, store, owner_a.email, PASSWORD)
    page.goto(f"{store}/dashboard/orders/")
    follow(page, page.get_by_role("link", name=order.number))
    expect(page.get_by_role("heading", name="Documents")).to_be_visible()
    assert_accessible(page)
    slip = page.get_by_role("link", name="Print packing slip").get_attribute("href")
    assert page.evaluate(FETCH_PDF, slip) == [200, "application/pdf", "%PDF-"]
    page.get_by_label("Label carrier").select_option("dhl")
    page.get_by_role("button", name="Create shipping label").click()
    page.get_by_text("Label ready").wait_for()
    label = page.locator("#labels a").first
    tracking_number = label.inner_text().removeprefix("Label ").strip()
    assert page.evaluate(FETCH_PDF, label.get_attribute("href")) == [200, "application/pdf", "%PDF-"]
    # The ship form carries the label's carrier and number.
    expect(page.get_by_label("Carrier", exact=True)).to_have_value("dhl")
    expect(page.get_by_label("Tracking number")).to_have_value(tracking_number)
    page.locator("#documents-heading").scroll_into_view_if_needed()
    assert_accessible(page)
    shot(page, "l1-01-vendor-documents")

    # --- It ships with the label's number. ---
    page.get_by_role("button", name="Mark shipped").click()
    page.get_by_role("heading", name=f"Order {order.number}").filter(has_text="Shipped").wait_for()
    expect(page.locator("#shipments")).to_contain_text(tracking_number)
    wait_until(lambda: SubOrder.objects.get(pk=sub.pk).status == SubOrder.Status.FULFILLED,
               message="the shipment synced to the public order")
    assert Transfer.objects.get(sub_order_id=sub.pk).status == Transfer.Status.PENDING  # not delivered yet

    # --- The carrier delivers: its signed webhook reaches the platform host. ---
    delivered_at = timezone.now().replace(microsecond=0)
    port = live_server.url.rsplit(":", 1)[1]
    assert delivered_webhook(port, tracking_number, delivered_at) == 200
    assert TrackingReceipt.objects.get(tracking_number=tracking_number).outcome == "applied"
    wait_until(lambda: SubOrder.objects.get(pk=sub.pk).status == SubOrder.Status.DELIVERED,
               message="the delivery synced to the public order")
    page.reload()
    expect(page.get_by_role("heading", name=f"Order {order.number}")).to_contain_text("Delivered")
    expect(page.locator("#vendor-order-timeline")).to_contain_text("Delivered (carrier tracking)")
    assert_accessible(page)
    shot(page, "l1-02-vendor-delivered")

    # --- The buyer sees it delivered, with the carrier's tracking page one click away. ---
    login(page, site.platform, buyer.email, PASSWORD)
    page.goto(f"{site.platform}/orders/{order.pk}/")
    part = page.locator(f'[data-vendor="{vendor_a.slug}"]')
    expect(part).to_contain_text("Delivered")
    link = part.get_by_role("link", name=f"Track {tracking_number}")
    assert link.get_attribute("href") == (
        f"https://www.dhl.com/global-en/home/tracking/tracking-parcel.html?submit=1&tracking-id={tracking_number}")
    expect(page.locator("#order-timeline")).to_contain_text("Your items from Alpha were delivered")
    assert_accessible(page)
    shot(page, "l1-03-buyer-delivered")
    page.goto(f"{site.platform}/notifications/")
    expect(page.locator("main")).to_contain_text(f"Your order {order.number} was delivered")

    # --- The money: held until three days after the delivery, then sent. ---
    due = delivered_at + dt.timedelta(days=3)
    transfer = wait_until(lambda: Transfer.objects.filter(sub_order_id=sub.pk, release_at=due).first(),
                          message="the release date counted from the delivery")
    assert transfer.status == Transfer.Status.PENDING
    assert transfers.transfers_release_due(now=transfer.release_at - dt.timedelta(minutes=1))["sent"] == 0
    assert transfers.transfers_release_due(now=transfer.release_at + dt.timedelta(minutes=1))["sent"] == 1
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.TRANSFERRED
