"""Journey 5: the buyer opens a claim with a photo; the vendor rejects it; the buyer escalates; the
admin refunds half with the vendor liable; the ledger, the buyer's and the vendor's pages agree."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
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


def photo_of_damage() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 60, 20)).save(buffer, format="PNG")
    return buffer.getvalue()


def minor(shown: str) -> int:
    """'1,234.50 EUR' → 123450; '' → 0."""
    return int(shown.split()[0].replace(",", "").replace(".", "")) if shown else 0


def text(locator) -> str:
    return locator.inner_text().replace("\xa0", " ").strip()


def test_claim_rejected_escalated_and_half_refunded_at_the_vendors_cost(
    page, browser, site, shot, live_server, task_worker, emulator_for_live_server, _journey_media,
    vendor_a, owner_a, admin_user, buyer,
):
    from disputes.models import Claim

    connect_vendor(vendor_a, emulator_for_live_server)
    vase = publish_listing(vendor_a, sellable_variant(vendor_a, price=6400, stock=3,
                                                      name="Celadon Vase"))
    shipping_rate(vendor_a, name="Parcel", base_amount=490)
    login(page, site.platform, buyer.email, PASSWORD)
    order = buy_in_browser(page, site.platform, [vase])
    half = 3200

    # --- The buyer opens a claim from the order page, with a photo. ---
    page.goto(f"{site.platform}/orders/{order.pk}/")
    follow(page, page.get_by_role("link", name="Problem with this order? Open a claim"))
    assert_accessible(page)
    page.get_by_label("Quantity of Celadon Vase").fill("1")
    page.get_by_label("Reason").select_option("damaged")
    page.get_by_label("What happened?").fill("The vase arrived with a crack along the rim.")
    page.get_by_label(re.compile(r"^Photos")).set_input_files(
        {"name": "crack.png", "mimeType": "image/png", "buffer": photo_of_damage()}
    )
    shot(page, "j5-01-claim-new")
    page.get_by_role("button", name="Send the claim").click()
    page.wait_for_url(re.compile(r".*/claims/\d+/$"))
    assert text(page.locator("#claim-status")) == "Open"
    expect(page.get_by_role("link", name=re.compile("crack.png"))).to_be_visible()
    claim = Claim.objects.get(order=order)
    shot(page, "j5-02-claim-open")

    # --- The vendor rejects it. ---
    store = site.vendor(vendor_a)
    vendor_page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    vendor_page.set_default_timeout(15_000)
    admin = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    admin.set_default_timeout(15_000)
    try:
        login(vendor_page, store, owner_a.email, PASSWORD)
        vendor_page.goto(f"{store}/dashboard/claims/")
        assert_accessible(vendor_page)
        follow(vendor_page, vendor_page.get_by_role("link", name=claim.number))
        assert_accessible(vendor_page)
        vendor_page.get_by_label("Why?").fill("It was packed in double foam; the photo shows no crack.")
        shot(vendor_page, "j5-03-vendor-reject")
        vendor_page.get_by_role("button", name="Reject the claim").click()
        vendor_page.locator("#claim-status").filter(has_text="Rejected by the seller").wait_for()

        # --- The buyer escalates. ---
        page.reload()
        expect(page.get_by_text("It was packed in double foam")).to_be_visible()
        page.get_by_role("button", name="Ask the platform to decide").click()
        page.locator("#claim-status").filter(has_text="Escalated to the platform").wait_for()

        # --- The admin refunds half, at the vendor's cost. ---
        login(admin, site.platform, admin_user.email, PASSWORD)
        admin.goto(f"{site.platform}/ops/claims/")
        assert_accessible(admin)
        admin.get_by_role("link", name=claim.number).click()
        admin.get_by_label("Partial refund").check()
        admin.get_by_label("Partial amount").fill(f"{half / 100:.2f}")
        admin.get_by_label("Who bears the refund").select_option("vendor")
        admin.get_by_label("Reason (shown to both parties)").fill(
            "The photo shows a hairline crack; half the price back.")
        assert_accessible(admin)
        shot(admin, "j5-04-ops-decide")
        admin.get_by_role("button", name="Decide").click()
        admin.locator("#claim-status").filter(has_text="Resolved: partial refund").wait_for()
        wait_until(lambda: Claim.objects.get(pk=claim.pk).refunded_amount == half,
                   message="the partial refund")
        admin.reload()
        assert text(admin.locator("#claim-refunded")) == format_money(half, "EUR")
        shot(admin, "j5-05-ops-decided")

        # --- The ledger shows the refund, charged to Alpha. ---
        admin.goto(f"{site.platform}/ops/ledger/")
        admin.get_by_label("Vendor", exact=True).select_option(label="Alpha")
        admin.get_by_label("Kind").select_option("refund")
        admin.get_by_role("button", name="Filter").click()
        admin.wait_for_url(re.compile(r".*kind=refund.*"))
        entry = admin.locator("#ledger-entries article").filter(has_text="Refund")
        entry.first.wait_for()
        assert entry.count() == 1
        rows = entry.locator("tbody tr")
        postings = []
        for i in range(rows.count()):
            account, debit, credit = (c.replace("\xa0", " ").strip()
                                      for c in rows.nth(i).get_by_role("cell").all_inner_texts())
            postings.append((account, minor(debit), minor(credit)))
        # Balanced; the buyer got half back. The vendor is liable: its payable carries the refund
        # net of the commission, which the platform gives back on the refunded part.
        assert sum(p[1] for p in postings) == sum(p[2] for p in postings)
        assert ("Platform cash at Stripe", 0, half) in postings
        vendor_part = sum(debit for account, debit, _ in postings if account.endswith("· Alpha"))
        platform_part = sum(debit for account, debit, _ in postings
                            if account == "Refunds borne by the platform")
        assert vendor_part + platform_part == half and vendor_part > platform_part >= 0
        assert_accessible(admin)
        shot(admin, "j5-06-ledger")

        # --- Both parties' pages agree. ---
        page.reload()
        assert text(page.locator("#claim-status")) == "Resolved: partial refund"
        assert text(page.locator("#claim-refunded")) == format_money(half, "EUR")
        page.goto(f"{site.platform}/orders/{order.pk}/")
        expect(page.get_by_text(f"Refunded: {format_money(half, 'EUR')}")).to_be_visible()
        shot(page, "j5-07-buyer-refunded")
        vendor_page.reload()
        assert text(vendor_page.locator("#claim-status")) == "Resolved: partial refund"
        assert text(vendor_page.locator("#claim-refunded")) == format_money(half, "EUR")
        vendor_page.goto(f"{store}/dashboard/money/")
        row = vendor_page.get_by_test_id("money-row").filter(has_text=f"#{order.number}")
        cells = [c.replace("\xa0", " ") for c in row.get_by_role("cell").all_inner_texts()]
        assert cells[4] == format_money(vendor_part, "EUR")  # taken back from the vendor's transfer
        shot(vendor_page, "j5-08-vendor-money")
    finally:
        browser.finish(vendor_page.context)
        browser.finish(admin.context)
