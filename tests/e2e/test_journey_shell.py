"""Journey 0: every side of the platform opens in a real browser with its own assets."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import login
from tests.factories import ProductFactory
from tests.factories.accounts import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_marketplace_storefront_dashboard_and_ops_in_chromium(
    page, site, shot, vendor_a, owner_a, admin_user, in_schema
):
    with in_schema(vendor_a):
        ProductFactory(name="Glacier Water Bottle", sku="E2E-BOTTLE")

    failed_assets: list[str] = []
    page.on("requestfailed", lambda request: failed_assets.append(request.url))

    page.goto(f"{site.platform}/")
    expect(page.get_by_role("heading", name="Stores")).to_be_visible()
    expect(page.get_by_role("link", name=vendor_a.name)).to_be_visible()
    # Bootstrap is loaded from our own static files: the navbar is styled, not raw.
    assert page.locator("nav.navbar").evaluate("el => getComputedStyle(el).display") == "flex"
    shot(page, "marketplace-home")

    page.get_by_role("link", name=vendor_a.name).click()
    page.wait_for_url(f"{site.vendor(vendor_a)}/")
    expect(page.get_by_text("Glacier Water Bottle")).to_be_visible()
    shot(page, "storefront")

    # Signing in on the vendor's host lands its staff on the overview; the storefront's header
    # then leads back to it.
    login(page, site.vendor(vendor_a), owner_a.email, PASSWORD)
    page.wait_for_url(f"{site.vendor(vendor_a)}/dashboard/")
    expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Orders to ship")).to_be_visible()
    shot(page, "dashboard-overview")
    page.goto(f"{site.vendor(vendor_a)}/")
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url(f"{site.vendor(vendor_a)}/dashboard/")
    page.goto(f"{site.vendor(vendor_a)}/dashboard/products/")
    expect(page.get_by_role("cell", name="Glacier Water Bottle", exact=True)).to_be_visible()
    shot(page, "dashboard-products")

    # A desktop operator at 1366 px sees the whole ops menu, not a hamburger.
    page.set_viewport_size({"width": 1366, "height": 800})
    login(page, site.platform, admin_user.email, PASSWORD)
    page.goto(f"{site.platform}/ops/")
    expect(page.get_by_role("heading", name="Operations")).to_be_visible()
    expect(page.locator("#nav-ops").get_by_role("link", name="Disputes")).to_be_visible()
    expect(page.locator("nav .navbar-toggler")).to_be_hidden()
    # Menu links are full white on the plum bar (Bootstrap's dark navbar would dim them below AA).
    assert page.locator("#nav-ops .nav-link").first.evaluate("el => getComputedStyle(el).color") == "rgb(255, 255, 255)"
    shot(page, "ops-home")

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{site.platform}/styleguide/")
    expect(page.get_by_role("heading", name="Style guide")).to_be_visible()
    shot(page, "styleguide")
    # The favicon the pages link to is served (a broken icon would be a failed request).
    assert page.evaluate("fetch('/favicon.ico').then(r => r.ok)")
    assert failed_assets == []


def test_phone_header_shows_search_without_opening_the_menu(mobile_page, site, shot):
    page = mobile_page
    page.goto(f"{site.platform}/")
    expect(page.locator("button.navbar-toggler")).to_be_visible()
    search = page.get_by_role("searchbox", name="Search")
    expect(search).to_be_visible()
    search.fill("lamp")
    search.press("Enter")
    page.wait_for_url(f"{site.platform}/search/?q=lamp")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "phone-search")


def test_other_vendor_owner_cannot_open_the_dashboard_in_the_browser(
    page, site, vendor_b, owner_a
):
    login(page, site.vendor(vendor_b), owner_a.email, PASSWORD)
    response = page.goto(f"{site.vendor(vendor_b)}/dashboard/")
    assert response is not None and response.status == 404
