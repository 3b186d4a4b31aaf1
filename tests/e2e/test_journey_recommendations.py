"""Journey: recommendations (ADR 0095). Other buyers bought a tent with a stove; the batch runs; a
buyer opens the tent's page (bought together, similar items), buys the tent in the browser and
the confirmation recommends the stove; the home page then shows what they viewed and picks."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from analytics.recommendations import recommendations_refresh
from marketplace.models import Category, Listing
from tests.e2e.journeys import (
    assert_accessible,
    buy_in_browser,
    connect_vendor,
    login,
    publish_listing,
)
from tests.factories import UserFactory
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant, shipping_rate
from tests.factories.recommendations import basket_order

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_recommendations_before_and_after_a_purchase(
    page, site, shot, live_server, task_worker, emulator_for_live_server, vendor_a, vendor_b, buyer,
):
    connect_vendor(vendor_a, emulator_for_live_server)
    outdoor = Category.objects.create(name="Outdoor", slug="outdoor", path="outdoor")
    tent = publish_listing(vendor_a, sellable_variant(vendor_a, price=18900, stock=5, name="Ridge Tent"))
    stove = publish_listing(vendor_b, sellable_variant(vendor_b, price=4900, stock=5, name="Trail Stove"))
    mug = publish_listing(vendor_b, sellable_variant(vendor_b, price=1250, stock=5, name="Enamel Mug"))
    lamp = publish_listing(vendor_a, sellable_variant(vendor_a, price=2900, stock=5, name="Ridge Tent Lamp"))
    Listing.objects.filter(pk__in=[tent.pk, stove.pk, mug.pk, lamp.pk]).update(category=outdoor)
    shipping_rate(vendor_a, name="Parcel", base_amount=490)
    for other in [UserFactory() for _ in range(3)]:
        basket_order(other, [tent, stove])
    basket_order(UserFactory(), [tent, mug])
    recommendations_refresh()

    # --- The product page: bought together (strongest first), then similar items. ---
    login(page, site.platform, buyer.email, PASSWORD)
    page.goto(f"{site.platform}/p/{tent.pk}/{tent.handle}/")
    together = page.locator("#bought-together")
    expect(together.get_by_role("heading", name="Frequently bought together")).to_be_visible()
    expect(together.locator(".listing-card").first).to_contain_text("Trail Stove")
    expect(page.locator("#similar-items")).to_contain_text("Ridge Tent Lamp")
    assert_accessible(page)
    together.scroll_into_view_if_needed()
    shot(page, "recs-01-product-page")

    # --- Bought in the browser: the confirmation recommends what others bought with it. ---
    order = buy_in_browser(page, site.platform, [tent])
    row = page.locator("#order-recommendations")
    expect(row.get_by_role("heading", name="Customers who bought these items also bought")).to_be_visible(
        timeout=30_000)
    expect(row.locator(".listing-card").first).to_contain_text("Trail Stove")
    assert row.get_by_role("link", name="Ridge Tent", exact=True).count() == 0  # not what was just bought
    assert order.is_paid
    assert_accessible(page)
    row.scroll_into_view_if_needed()
    shot(page, "recs-02-order-confirmation")

    # --- The home page follows the views and, after the next batch, the purchase. ---
    recommendations_refresh()
    page.goto(f"{site.platform}/")
    expect(page.locator("#recently-viewed")).to_contain_text("Ridge Tent")
    inspired = page.locator("#inspired")
    expect(inspired.get_by_role("heading", name="Inspired by what you viewed")).to_be_visible()
    expect(inspired.locator(".listing-card").first).to_contain_text("Trail Stove")
    assert inspired.get_by_role("link", name="Ridge Tent", exact=True).count() == 0
    assert_accessible(page)
    shot(page, "recs-03-home")
