"""Journey: a buyer asks a question on a product page, the vendor answers in the dashboard, the
buyer sees the reply and the bell's count; the notification centre, its settings and the one-click
unsubscribe; ops read an order's messages once its claim is escalated."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.e2e.journeys import assert_accessible, follow, login, publish_listing
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_question_answered_in_the_dashboard_and_seen_with_the_bell(
    page, browser, site, shot, live_server, _journey_media, vendor_a, owner_a, buyer, admin_user,
):
    from messaging.models import Message, Thread

    kettle = publish_listing(vendor_a, sellable_variant(vendor_a, price=4900, stock=5, name="Copper Kettle"))
    login(page, site.platform, buyer.email, PASSWORD)

    # --- The buyer asks from the product page. ---
    page.goto(f"{site.platform}/p/{kettle.pk}/{kettle.handle}/")
    follow(page, page.get_by_role("link", name="Ask the seller a question"))
    assert_accessible(page)
    page.get_by_label("Your message").fill("Does the kettle work on an induction hob? <b>Thanks</b>")
    shot(page, "j23-01-ask-question")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r".*/messages/\d+/$"))
    expect(page.get_by_text("Does the kettle work on an induction hob? <b>Thanks</b>")).to_be_visible()
    assert_accessible(page)
    thread = Thread.objects.get(buyer=buyer)
    wait_until(lambda: any(owner_a.email in m.to for m in mail.outbox), message="the vendor's email")

    # --- The vendor answers in the dashboard. ---
    store = site.vendor(vendor_a)
    vendor_page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    vendor_page.set_default_timeout(15_000)
    try:
        login(vendor_page, store, owner_a.email, PASSWORD)
        vendor_page.goto(f"{store}/dashboard/messages/")
        expect(vendor_page.locator("[data-unread]")).to_have_text(re.compile(r"^1"))
        assert_accessible(vendor_page)
        shot(vendor_page, "j23-02-vendor-inbox")
        follow(vendor_page, vendor_page.get_by_role("link", name="Copper Kettle"))
        assert_accessible(vendor_page)
        vendor_page.get_by_label("Your reply").fill("Yes: the base is magnetic steel, it works on induction.")
        vendor_page.get_by_role("button", name="Send").click()
        vendor_page.wait_for_load_state("load")
        expect(vendor_page.get_by_text("it works on induction")).to_be_visible()
        shot(vendor_page, "j23-03-vendor-answered")
        assert Message.objects.filter(thread=thread, role="vendor").count() == 1
    finally:
        browser.finish(vendor_page.context)

    # --- The buyer sees the bell's count, the notice, and the reply. ---
    page.goto(f"{site.platform}/")
    expect(page.locator("#notification-bell [data-unread-count]")).to_have_text(re.compile(r"^1"))
    shot(page, "j23-04-bell")
    follow(page, page.locator("#notification-bell"))
    assert_accessible(page)
    expect(page.get_by_text(f"New message from {vendor_a.name}")).to_be_visible()
    shot(page, "j23-05-notifications")
    page.get_by_role("button", name=re.compile("^Open")).first.click()
    page.wait_for_url(re.compile(rf".*/messages/{thread.pk}/$"))
    expect(page.get_by_text("it works on induction")).to_be_visible()
    # The header's bell is fetched by htmx after the page loads: once it is in, it counts nothing.
    expect(page.locator('#notification-bell[hx-trigger="every 30s"]')).to_be_attached()
    expect(page.locator("#notification-bell [data-unread-count]")).to_have_count(0)
    shot(page, "j23-06-buyer-reads-reply")
    page.goto(f"{site.platform}/messages/")
    assert_accessible(page)

    # --- Settings, and the one-click unsubscribe from the email. ---
    page.goto(f"{site.platform}/notifications/preferences/")
    assert_accessible(page)
    shot(page, "j23-07-preferences")
    email = next(m for m in mail.outbox if m.to == [buyer.email])
    link = email.extra_headers["List-Unsubscribe"].strip("<>")
    page.context.clear_cookies()
    page.goto(site.platform + "/notifications/" + link.split("/notifications/", 1)[1])
    assert_accessible(page)
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.locator("#unsubscribed")).to_be_visible()
    shot(page, "j23-08-unsubscribed")
    login(page, site.platform, buyer.email, PASSWORD)
    page.goto(f"{site.platform}/notifications/preferences/")
    expect(page.get_by_label("New message by email")).not_to_be_checked()
    expect(page.get_by_label("Order shipped by email")).to_be_disabled()


def test_ops_read_an_order_thread_once_its_claim_is_escalated(
    page, site, shot, live_server, _journey_media, vendor_a, buyer, admin_user,
):
    from disputes.models import Claim
    from messaging import services
    from tests.factories import ClaimFactory, OrderFactory

    order = OrderFactory(buyer=buyer, items=[(vendor_a, sellable_variant(vendor_a, name="Glass Teapot"), 1)])
    sub = order.sub_orders.get()
    thread = services.order_thread_write(buyer=buyer, sub_order_id=sub.pk, body="The lid arrived cracked.")
    claim = ClaimFactory(sub_order=sub, status=Claim.Status.ESCALATED)
    login(page, site.platform, admin_user.email, PASSWORD)
    page.goto(f"{site.platform}/ops/claims/{claim.pk}/")
    follow(page, page.get_by_role("link", name="Buyer and seller's messages about this order"))
    assert page.url.endswith(f"/ops/messages/{thread.pk}/")
    expect(page.get_by_text("The lid arrived cracked.")).to_be_visible()
    assert_accessible(page)
    shot(page, "j23-09-ops-thread")


def test_ops_hide_a_reported_message_from_the_moderation_queue(
    page, site, shot, live_server, _journey_media, vendor_a, owner_a, buyer, admin_user,
):
    from messaging import services
    from messaging.models import Message

    kettle = publish_listing(vendor_a, sellable_variant(vendor_a, price=4900, stock=5, name="Copper Kettle"))
    thread = services.question_ask(buyer=buyer, listing_id=kettle.pk, body="Is the handle heat-proof?")
    answer = services.message_post(thread=thread, author=owner_a, role="vendor", body="Read the listing, idiot.")
    services.message_report(thread=thread, message_id=answer.pk, reporter=buyer, role="buyer", reason="Insulting")

    login(page, site.platform, admin_user.email, PASSWORD)
    page.goto(f"{site.platform}/ops/moderation/")
    follow(page, page.get_by_role("link", name="Reported messages"))
    expect(page.locator(f'[data-report="{answer.reports.get().pk}"]')).to_be_visible()
    assert_accessible(page)
    shot(page, "j23-10-reported-messages")
    follow(page, page.get_by_role("link", name="Read the listing, idiot."))
    # The message in its thread: the buyer's question above it.
    expect(page.get_by_text("Is the handle heat-proof?")).to_be_visible()
    page.get_by_label("Reason (kept in the audit log; required to hide or block)").fill("Insults the buyer")
    assert_accessible(page)
    shot(page, "j23-11-reported-message")
    page.get_by_role("button", name="Hide the message").click()
    page.get_by_text("Decision recorded.").wait_for()
    assert Message.objects.get(pk=answer.pk).hidden_at is not None
    page.goto(f"{site.platform}/ops/moderation/messages/?state=decided")
    expect(page.get_by_text("Message hidden")).to_be_visible()
