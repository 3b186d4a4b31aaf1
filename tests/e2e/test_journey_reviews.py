"""Journey (issue 23's whole loop of trust): a buyer asks a question on a product page, the vendor
answers in its dashboard, the buyer buys, is notified of the shipment (bell and notification
centre, with the tracking number), reviews the product (stars, words and a photo) and a second one
with a link (held for moderation); the vendor hears of the review and replies, a reader reports
the review, ops decide in the moderation queue, and the rating shows on the search card."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import (
    assert_accessible,
    buy_in_browser,
    connect_vendor,
    follow,
    login,
    photo,
    publish_listing,
)
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant, shipping_rate
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_buyer_reviews_vendor_replies_rating_shows_in_search(
    page, browser, site, shot, live_server, task_worker, emulator_for_live_server, _journey_media,
    vendor_a, owner_a, admin_user, buyer, tmp_path,
):
    from orders.models import SubOrder
    from reviews.models import Review

    connect_vendor(vendor_a, emulator_for_live_server)
    lamp = publish_listing(vendor_a, sellable_variant(vendor_a, price=4900, stock=5, name="Aurora Desk Lamp"))
    shade = publish_listing(vendor_a, sellable_variant(vendor_a, price=1900, stock=5, name="Linen Lamp Shade"))
    shipping_rate(vendor_a, name="Parcel", base_amount=490)
    buyer.full_name = "Bea Buyer"
    buyer.save(update_fields=["full_name"])

    # --- Before buying, the buyer asks the seller a question from the product page. ---
    login(page, site.platform, buyer.email, PASSWORD)
    page.goto(f"{site.platform}/p/{lamp.pk}/{lamp.handle}/")
    follow(page, page.get_by_role("link", name="Ask the seller a question"))
    page.get_by_label("Your message").fill("Is the lamp warm white?")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r".*/messages/\d+/$"))
    store = site.vendor(vendor_a)
    answering = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US").new_page()
    try:
        login(answering, store, owner_a.email, PASSWORD)
        answering.goto(f"{store}/dashboard/messages/")
        follow(answering, answering.get_by_role("link", name="Aurora Desk Lamp"))
        answering.get_by_label("Your reply").fill("Yes: 2,700 K, warm white.")
        answering.get_by_role("button", name="Send").click()
        expect(answering.get_by_text("2,700 K, warm white.")).to_be_visible()
    finally:
        browser.finish(answering.context)
    page.reload()
    expect(page.get_by_text("2,700 K, warm white.")).to_be_visible()
    assert_accessible(page)
    shot(page, "r0-01-question-answered")

    # --- The buyer pays; the vendor ships from its dashboard. ---
    order = buy_in_browser(page, site.platform, [lamp, shade])
    wait_until(lambda: SubOrder.objects.filter(order=order, vendor_order_id__isnull=False).exists(),
               message="the vendor's copy of the order")
    login(page, store, owner_a.email, PASSWORD)
    page.goto(f"{store}/dashboard/orders/")
    follow(page, page.get_by_role("link", name=order.number))
    page.get_by_label("Carrier", exact=True).select_option("dhl")
    page.get_by_label("Tracking number").fill("JD014600009DE")
    page.get_by_role("button", name="Mark shipped").click()
    page.get_by_role("heading", name=f"Order {order.number}").filter(has_text="Shipped").wait_for()
    wait_until(lambda: SubOrder.objects.get(order=order).status == SubOrder.Status.FULFILLED,
               message="the sub-order synced as shipped")

    # --- The buyer is told of the shipment: the notification centre names the parcel. ---
    login(page, site.platform, buyer.email, PASSWORD)
    page.goto(f"{site.platform}/notifications/")
    shipped = page.locator("main").get_by_text(f"Your order {order.number} has shipped")
    expect(shipped).to_be_visible()
    expect(page.locator("main")).to_contain_text("Tracking number: JD014600009DE")
    assert_accessible(page)
    shot(page, "r0-02-shipped-notice")

    # --- The buyer reviews the lamp: stars, words (with markup that must stay text) and a photo. ---
    page.goto(f"{site.platform}/reviews/")
    assert_accessible(page)
    shot(page, "r1-01-items-to-review")
    follow(page, page.get_by_role("row").filter(has_text="Aurora Desk Lamp").get_by_role("link", name="Review"))
    picture = tmp_path / "lamp-at-night.jpg"
    picture.write_bytes(photo(7))
    page.get_by_label("4 stars").first.check()
    page.get_by_label("Your review").fill("Warm light, steady arm. <b>Recommended</b>.")
    page.get_by_label("Photos (JPEG, PNG or WebP; up to 4 of 5 MB)").set_input_files(str(picture))
    # A file that is not an image: a form error, and nothing stored.
    fake = tmp_path / "not-a-photo.jpg"
    fake.write_bytes(b"%PDF-1.4 definitely not a picture")
    page.get_by_label("Photos (JPEG, PNG or WebP; up to 4 of 5 MB)").set_input_files(str(fake))
    page.get_by_role("button", name="Publish the review").click()
    expect(page.locator("#review-error")).to_contain_text("is not an image we can read")
    assert_accessible(page)
    shot(page, "r1-02-review-form-error")
    assert not Review.objects.exists()
    page.get_by_label("4 stars").first.check()
    page.locator('input[name="seller_rating"][value="5"]').check()
    page.get_by_label("Photos (JPEG, PNG or WebP; up to 4 of 5 MB)").set_input_files(str(picture))
    shot(page, "r1-03-review-form")
    page.get_by_role("button", name="Publish the review").click()
    page.get_by_text("Thank you! Your review is published.").wait_for()
    assert_accessible(page)
    shot(page, "r1-04-review-published")

    # A review of the shade with a link waits for a moderator.
    follow(page, page.get_by_role("row").filter(has_text="Linen Lamp Shade").get_by_role("link", name="Review"))
    page.get_by_label("2 stars").first.check()
    page.get_by_label("Your review").fill("Cheaper at www.shades-outlet.example.com")
    page.get_by_role("button", name="Publish the review").click()
    page.get_by_text("will appear once a moderator has looked at it").wait_for()

    # --- The vendor hears of the published review (not of the held one) and replies. ---
    from notifications.models import Notification

    told = Notification.objects.filter(recipient=owner_a, kind="review_received")
    assert [n.context["product_name"] for n in told] == ["Aurora Desk Lamp"]
    login(page, store, owner_a.email, PASSWORD)
    page.goto(f"{store}/dashboard/reviews/")
    assert_accessible(page)
    expect(page.get_by_text("Cheaper at")).to_have_count(0)  # held reviews are not the vendor's to see
    page.get_by_label("Reply publicly").fill("Thank you, Bea! Enjoy the light.")
    page.get_by_role("button", name="Publish the reply").click()
    page.get_by_text("Your reply is published.").wait_for()
    assert_accessible(page)
    shot(page, "r1-05-vendor-replied")

    # --- Another signed-in reader (the admin) reports the review from the product page. ---
    ops = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US").new_page()
    try:
        login(ops, site.platform, admin_user.email, PASSWORD)
        ops.goto(f"{site.platform}/p/{lamp.pk}/{lamp.handle}/")
        reviews = ops.locator("#reviews")
        expect(reviews).to_contain_text("Warm light, steady arm. <b>Recommended</b>.")  # shown as text
        expect(reviews).to_contain_text("Thank you, Bea! Enjoy the light.")
        expect(ops.locator(".listing-rating").first).to_contain_text("4.0 (1 review)")
        reviews.scroll_into_view_if_needed()
        assert_accessible(ops)
        shot(ops, "r1-06-product-reviews")
        follow(ops, reviews.get_by_role("link", name="Report"))
        ops.get_by_label("What is wrong with it?").fill("Checking the report flow")
        assert_accessible(ops)
        shot(ops, "r1-07-report")
        ops.get_by_role("button", name="Send the report").click()
        ops.get_by_text("A moderator will look at this review.").wait_for()

        # --- Ops: the held review and the reported one are in the queue. ---
        ops.goto(f"{site.platform}/ops/moderation/")
        expect(ops.get_by_text("Contains a link")).to_be_visible()
        expect(ops.get_by_text("1 report")).to_be_visible()
        assert_accessible(ops)
        shot(ops, "r1-08-moderation-queue")
        follow(ops, ops.get_by_role("link", name="Linen Lamp Shade"))
        ops.get_by_label("Reason (shown to the author; required to hide)").fill("Advertising another shop")
        assert_accessible(ops)
        shot(ops, "r1-09-moderation-detail")
        ops.get_by_role("button", name="Hide").click()
        ops.get_by_text("Decision recorded.").wait_for()
        follow(ops, ops.get_by_role("link", name="Aurora Desk Lamp"))
        ops.get_by_label("Reason (shown to the author; required to hide)").fill("A fair review")
        ops.get_by_role("button", name="Publish").click()
        ops.get_by_text("Decision recorded.").wait_for()
    finally:
        browser.finish(ops.context)
    assert sorted(Review.objects.values_list("product_name", "status")) == [
        ("Aurora Desk Lamp", "published"), ("Linen Lamp Shade", "hidden")]

    # --- The rating shows on the search card, and the rating sort puts the lamp first. ---
    page.goto(f"{site.platform}/search/?q=lamp&sort=rating")
    card = page.locator(f'[data-listing="{lamp.pk}"]')
    expect(card.locator(".listing-rating")).to_contain_text("4.0 (1 review)")
    expect(page.locator(".listing-card").first).to_have_attribute("data-listing", str(lamp.pk))
    expect(page.locator('[data-facet="rating"]')).to_contain_text("4 stars and up")
    assert_accessible(page)
    shot(page, "r1-10-search-card-rating")
