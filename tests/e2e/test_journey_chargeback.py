"""Journey 7: a buyer pays with the card that is later disputed; the dispute arrives by signed
webhook; the vendor uploads evidence; the admin submits it; the card network rules against us
(Stripe's `losing_evidence` convention); the recovery from the vendor shows on its pages and in
the ledger."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from common.money import format_money
from tests.e2e.journeys import (
    assert_accessible,
    buy_in_browser,
    connect_vendor,
    login,
    publish_listing,
)
from tests.e2e.test_journey_onboarding import registration_pdf
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant, shipping_rate
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DISPUTE_CARD = "4000 0000 0000 0259"


def test_card_dispute_with_evidence_is_lost_and_recovered_from_the_vendor(
    page, browser, site, shot, live_server, task_worker, emulator_for_live_server, _journey_media,
    vendor_a, owner_a, admin_user, buyer,
):
    from disputes.models import Chargeback
    from payouts.models import Transfer

    connect_vendor(vendor_a, emulator_for_live_server)
    clock = publish_listing(vendor_a, sellable_variant(vendor_a, price=15900, stock=2,
                                                       name="Brass Wall Clock"))
    shipping_rate(vendor_a, name="Parcel", base_amount=490)
    login(page, site.platform, buyer.email, PASSWORD)
    order = buy_in_browser(page, site.platform, [clock], card=DISPUTE_CARD)

    # --- The dispute arrives by webhook and shows in the vendor's dashboard. ---
    store = site.vendor(vendor_a)
    login(page, store, owner_a.email, PASSWORD)
    page.goto(f"{store}/dashboard/")
    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Card disputes").click()
    page.wait_for_url(f"{store}/dashboard/chargebacks/")

    def dispute_listed() -> bool:
        page.goto(f"{store}/dashboard/chargebacks/")
        return page.get_by_role("cell", name=order.number).is_visible()

    wait_until(dispute_listed, message="the dispute in the vendor's dashboard")
    assert_accessible(page)
    shot(page, "j7-01-vendor-disputes")
    chargeback = Chargeback.objects.get(order=order)
    page.get_by_role("link", name=chargeback.stripe_dispute_id).click()
    expect(page.get_by_text("Evidence due by")).to_be_visible()

    # --- The vendor adds evidence with a file. ---
    page.get_by_label("Kind").select_option(index=0)
    page.get_by_label("Details (tracking number, messages…)").fill(
        "Delivered by DHL JD014600003DE, signed for by the buyer.")
    page.get_by_label("Photo or PDF").set_input_files(
        {"name": "proof-of-delivery.pdf", "mimeType": "application/pdf", "buffer": registration_pdf()})
    assert_accessible(page)
    page.get_by_role("button", name="Add evidence").click()
    page.get_by_text("Evidence added.").wait_for()
    expect(page.get_by_text("signed for by the buyer")).to_be_visible()
    shot(page, "j7-02-vendor-evidence")

    # --- The admin submits it; the network rules against us. ---
    admin = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    admin.set_default_timeout(15_000)
    try:
        login(admin, site.platform, admin_user.email, PASSWORD)
        admin.goto(f"{site.platform}/ops/disputes/")
        assert_accessible(admin)
        admin.get_by_role("link", name=chargeback.stripe_dispute_id).click()
        expect(admin.get_by_text("signed for by the buyer")).to_be_visible()
        expect(admin.get_by_role("link", name="file")).to_be_visible()
        admin.get_by_label("uncategorized_text").fill(
            "Delivered and signed for (DHL JD014600003DE). losing_evidence")
        # The vendor's PDF goes to Stripe as a File, in the field its kind calls for.
        expect(admin.get_by_label("shipping_documentation")).to_have_value(
            str(chargeback.evidence.get().pk))
        assert_accessible(admin)
        shot(admin, "j7-03-ops-submit")
        admin.get_by_role("button", name="Submit evidence to the card network").click()
        admin.get_by_text("Evidence submitted on").wait_for()
        evidence = chargeback.evidence.get()
        assert evidence.stripe_file_id.startswith("file_")
        expect(admin.locator("#files-sent")).to_contain_text(f"proof-of-delivery.pdf → {evidence.stripe_file_id}")
        expect(admin.locator("#submitted-evidence")).to_contain_text(evidence.stripe_file_id)
        admin.locator("#files-sent").scroll_into_view_if_needed()
        shot(admin, "j7-03b-ops-files-sent")

        def closed_lost() -> bool:
            admin.reload()
            return "lost" in admin.locator("#dispute-status").inner_text().lower()

        wait_until(closed_lost, message="the dispute closed as lost")
        shot(admin, "j7-04-ops-lost")

        # --- The recovery: the vendor's transfer is reversed, and the ledger shows the loss. ---
        transfer = wait_until(
            lambda: (t := Transfer.objects.filter(sub_order__order=order).first())
            and t.amount_reversed > 0 and t, message="the recovery from the vendor")
        admin.goto(f"{site.platform}/ops/ledger/?kind=chargeback_lost")
        entry = admin.locator("#ledger-entries article").filter(has_text="Chargeback lost")
        assert entry.count() == 1
        expect(entry.get_by_text(f"chargeback_closed:{chargeback.stripe_dispute_id}")).to_be_visible()
        shot(admin, "j7-05-ledger")
    finally:
        browser.finish(admin.context)

    page.reload()
    expect(page.get_by_text("Lost").first).to_be_visible()
    expect(page.get_by_text("sent to Stripe")).to_be_visible()
    page.goto(f"{store}/dashboard/money/")
    assert_accessible(page)
    row = page.get_by_test_id("money-row").filter(has_text=f"#{order.number}")
    cells = [c.replace("\xa0", " ") for c in row.get_by_role("cell").all_inner_texts()]
    assert cells[4] == format_money(transfer.amount_reversed, "EUR")
    assert cells[5] == format_money(transfer.amount - transfer.amount_reversed, "EUR")
    shot(page, "j7-06-vendor-money")
