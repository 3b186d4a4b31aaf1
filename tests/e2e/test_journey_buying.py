"""Journey 3: a buyer searches with a typo, narrows by a facet, fills a cart from two vendors and
pays with a card that needs 3-D Secure; a second buyer's card is declined and another card on the same payment page succeeds.
The same purchase also runs in a phone-sized viewport."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import (
    PAYMENT_FRAME,
    address_fill,
    assert_accessible,
    login,
    open_payment_page,
    publish_listing,
)
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant, shipping_rate
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

THREE_D_SECURE_CARD = "4000 0025 0000 3155"
DECLINED_CARD = "4000 0000 0000 0002"
GOOD_CARD = "4242 4242 4242 4242"


@pytest.fixture
def backpacks(vendor_a, vendor_b):
    trail = sellable_variant(vendor_a, price=8900, stock=5, name="Trail Backpack 30L")
    summit = sellable_variant(vendor_b, price=12900, stock=5, name="Summit Backpack 45L")
    publish_listing(vendor_b, sellable_variant(vendor_b, price=1250, stock=9, name="Basalt Mug"))
    shipping_rate(vendor_a, name="Parcel", base_amount=490)
    shipping_rate(vendor_b, name="Parcel", base_amount=590)
    return publish_listing(vendor_a, trail), publish_listing(vendor_b, summit)


def search_and_add(page, site, store: str, shot=None, prefix: str = "") -> None:
    """Search with a typo, narrow to one store with the facet, open the product, add it."""
    page.goto(f"{site.platform}/search/")
    box = page.get_by_role("main").get_by_label("Search")
    box.fill("backpak")  # typo: full text finds nothing, the word list corrects it
    results = page.locator("#results-heading")
    expect(results).to_have_text("3 products")  # everything, before the query
    box.press("Enter")
    page.wait_for_url(re.compile(r".*[?&]q=backpak"))
    expect(results).to_have_text("2 products")
    assert page.get_by_role("link", name="Basalt Mug").count() == 0
    expect(page.get_by_role("link", name="Trail Backpack 30L")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “backpak”")
    expect(page.get_by_text("Showing results for “backpack”")).to_be_visible()
    if shot:
        assert_accessible(page)
        shot(page, f"{prefix}-01-search-typo")
    page.locator('[data-facet="vendor"]').get_by_role("link", name=store).click()
    page.wait_for_url(re.compile(rf".*[?&]vendor={store.lower()}"))
    expect(results).to_have_text("1 product")
    # Each filter once in the address: the form submits to the bare path, not to the current URL.
    assert page.url.count("q=") == 1, page.url
    assert page.locator('[data-facet="vendor"] a[aria-current="true"]').inner_text() == store
    if shot:
        shot(page, f"{prefix}-02-facet")
    page.locator(".listing-card").get_by_role("link").first.click()
    page.wait_for_url(re.compile(r".*/p/\d+/.*"))
    assert_accessible(page)
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_text("Added to your cart.").wait_for()


def checkout(page, site, shot, prefix: str) -> str:
    page.goto(f"{site.platform}/cart/")
    expect(page.get_by_role("heading", name="Sold by Alpha")).to_be_visible()
    expect(page.get_by_role("heading", name="Sold by Bravo")).to_be_visible()
    assert_accessible(page)
    shot(page, f"{prefix}-03-cart")
    page.get_by_role("link", name="Checkout").click()
    address_fill(page)
    total = page.locator("#summary-total").inner_text()
    assert_accessible(page)
    shot(page, f"{prefix}-04-checkout")
    page.get_by_role("button", name="Pay now").click()
    # Our payment page: the order summary and Stripe's Payment Element (Stripe.js's frame).
    frame = open_payment_page(page)
    frame.get_by_label("Expiration date").fill("12 / 34")
    frame.get_by_label("Security code").fill("123")
    return total


def pay_with(page, card: str) -> None:
    page.frame_locator(PAYMENT_FRAME).get_by_label("Card number").fill(card)
    # On the phone the button sits at the viewport's edge after typing in Stripe's frame (which
    # scrolls the page smoothly): bring it fully into view first, as a thumb would.
    page.locator("#pay-button").scroll_into_view_if_needed()
    page.locator("#pay-button").click()


def confirmed_order(page, site, shot, prefix: str, total: str):
    from orders.models import Order

    page.wait_for_url(re.compile(r".*/checkout/return/\d+/.*"))
    page.get_by_text("Thank you! Your order is confirmed.").wait_for(timeout=30_000)
    shot(page, f"{prefix}-06-confirmed")
    order = Order.objects.get(pk=int(re.search(r"/checkout/return/(\d+)/", page.url).group(1)))
    assert order.status == "paid"
    assert total.startswith(f"{order.total_amount / 100:,.2f}")
    # The buyer finds it in their orders.
    page.goto(f"{site.platform}/orders/")
    assert_accessible(page)
    page.get_by_role("link", name=order.number).click()
    expect(page.get_by_role("heading", name="Alpha")).to_be_visible()
    expect(page.get_by_role("heading", name="Bravo")).to_be_visible()
    shot(page, f"{prefix}-07-order")
    return order


def test_buyer_pays_two_vendors_with_3ds_and_a_second_buyer_retries_a_decline(
    page, browser, site, shot, live_server, task_worker, emulator_for_live_server, backpacks,
):
    from tests.factories import UserFactory

    first = UserFactory(email="bea@example.com")
    login(page, site.platform, first.email, PASSWORD)
    search_and_add(page, site, "Alpha", shot, "j3")
    search_and_add(page, site, "Bravo")
    total = checkout(page, site, shot, "j3")
    pay_with(page, THREE_D_SECURE_CARD)
    page.wait_for_url(re.compile(r".*/_emulator/3ds/pi_.*"))
    shot(page, "j3-05-3ds")
    page.locator("#complete-3ds").click()
    order = confirmed_order(page, site, shot, "j3", total)
    assert order.sub_orders.count() == 2

    # A second buyer: the first card is declined on the payment page, a second one works there.
    from orders.models import Order

    second = UserFactory(email="carl@example.com")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    context.set_default_timeout(15_000)
    try:
        other = context.new_page()
        login(other, site.platform, second.email, PASSWORD)
        search_and_add(other, site, "Alpha")
        search_and_add(other, site, "Bravo")
        total = checkout(other, site, shot, "j3b")
        pay_with(other, DECLINED_CARD)
        error = other.locator("#payment-message")
        error.filter(has_text=re.compile("declined", re.I)).wait_for()
        assert error.get_attribute("role") == "alert"
        shot(other, "j3b-05-declined")
        # A decline leaves the payment open, as on Stripe's own page (ADR 0012): the order keeps
        # its reservation and counts the attempt once its webhook is applied.
        pending = Order.objects.get(buyer=second)
        wait_until(lambda: Order.objects.get(pk=pending.pk).failed_payment_attempts == 1,
                   message="the declined attempt recorded on the order")
        assert Order.objects.get(pk=pending.pk).status == "pending_payment"
        pay_with(other, GOOD_CARD)
        retried = confirmed_order(other, site, shot, "j3b", total)
        assert retried.pk == pending.pk and retried.pk != order.pk and retried.sub_orders.count() == 2
    finally:
        browser.finish(context)


def test_buyer_journey_on_a_phone(
    mobile_page, site, shot, live_server, task_worker, emulator_for_live_server, backpacks,
):
    from tests.factories import UserFactory

    page = mobile_page
    buyer = UserFactory(email="phone-buyer@example.com")
    login(page, site.platform, buyer.email, PASSWORD)
    search_and_add(page, site, "Alpha", shot, "j3m")
    search_and_add(page, site, "Bravo")
    # Nothing is wider than the phone's screen (no sideways scrolling).
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    total = checkout(page, site, shot, "j3m")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    pay_with(page, THREE_D_SECURE_CARD)
    page.wait_for_url(re.compile(r".*/_emulator/3ds/pi_.*"))
    page.locator("#complete-3ds").click()
    confirmed_order(page, site, shot, "j3m", total)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The navigation collapses behind a labelled toggle on a phone.
    toggle = page.locator("button.navbar-toggler")
    assert toggle.is_visible() and toggle.get_attribute("aria-label")

    # Before Bravo ships, the buyer cancels Bravo's part: asked to confirm, refunded in full.
    from orders.models import Order

    order = Order.objects.get(buyer=buyer)
    bravo = order.sub_orders.get(vendor__slug="bravo")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel the items from Bravo").click()
    expect(page.get_by_text("Your order from Bravo is cancelled")).to_be_visible()
    expect(page.locator('[data-vendor="bravo"] .status-badge')).to_have_text("Refunded")
    expect(page.locator('[data-vendor="alpha"] .status-badge')).to_have_text("Paid")
    expect(page.get_by_role("button", name="Cancel the items from Bravo")).to_have_count(0)
    bravo.refresh_from_db()
    assert bravo.refunded_amount == bravo.total_amount
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "j3m-08-cancelled-part")


def test_search_keeps_a_chosen_store_when_the_sort_changes(page, site, live_server, backpacks):
    """A facet link swaps only the results; the form must still carry the store it chose."""
    page.goto(f"{site.platform}/search/?q=backpack")
    results = page.locator("#results-heading")
    expect(results).to_have_text("2 products")
    page.locator('[data-facet="vendor"]').get_by_role("link", name="Bravo").click()
    page.wait_for_url(re.compile(r".*[?&]vendor=bravo"))
    expect(results).to_have_text("1 product")
    page.get_by_label("Sort by").select_option("price_desc")
    page.wait_for_url(re.compile(r".*[?&]sort=price_desc"))
    expect(results).to_have_text("1 product")
    expect(page.get_by_role("link", name="Summit Backpack 45L")).to_be_visible()
    assert "vendor=bravo" in page.url and page.url.count("q=") == 1, page.url
    # Removing the store (its link again) and sorting once more leaves the store out.
    page.locator('[data-facet="vendor"]').get_by_role("link", name="Bravo").click()
    expect(results).to_have_text("2 products")
    page.get_by_label("Sort by").select_option("price_asc")
    page.wait_for_url(re.compile(r".*[?&]sort=price_asc"))
    expect(results).to_have_text("2 products")
    assert "vendor=" not in page.url, page.url


def test_failed_3d_secure_comes_back_to_a_page_that_offers_another_card(
    page, site, shot, live_server, task_worker, emulator_for_live_server, backpacks,
):
    from tests.factories import UserFactory

    buyer = UserFactory(email="dora@example.com")
    login(page, site.platform, buyer.email, PASSWORD)
    search_and_add(page, site, "Alpha")
    search_and_add(page, site, "Bravo")
    total = checkout(page, site, shot, "j3f")
    pay_with(page, THREE_D_SECURE_CARD)
    page.wait_for_url(re.compile(r".*/_emulator/3ds/pi_.*"))
    page.locator("#fail-3ds").click()
    page.wait_for_url(re.compile(r".*/checkout/return/\d+/.*redirect_status=failed"))
    retry = page.locator("#payment-retry")
    expect(retry).to_be_visible()
    # Once the webhook is applied the page names the reason; nothing was charged.
    expect(retry).to_contain_text("Your bank did not confirm the payment (3-D Secure).")
    assert_accessible(page)
    shot(page, "j3f-05-3ds-failed")
    retry.get_by_role("button", name="Try another card").click()
    frame = open_payment_page(page)
    frame.get_by_label("Expiration date").fill("12 / 34")
    frame.get_by_label("Security code").fill("123")
    pay_with(page, GOOD_CARD)
    order = confirmed_order(page, site, shot, "j3f", total)
    assert order.failed_payment_attempts == 1
