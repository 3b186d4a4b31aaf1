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

    login(page, site.vendor(vendor_a), owner_a.email, PASSWORD)
    page.goto(f"{site.vendor(vendor_a)}/dashboard/products/")
    expect(page.get_by_role("cell", name="Glacier Water Bottle", exact=True)).to_be_visible()
    shot(page, "dashboard-products")

    login(page, site.platform, admin_user.email, PASSWORD)
    page.goto(f"{site.platform}/ops/")
    expect(page.get_by_role("heading", name="Operations")).to_be_visible()
    shot(page, "ops-home")
    assert failed_assets == []


def test_other_vendor_owner_cannot_open_the_dashboard_in_the_browser(
    page, site, vendor_b, owner_a
):
    login(page, site.vendor(vendor_b), owner_a.email, PASSWORD)
    response = page.goto(f"{site.vendor(vendor_b)}/dashboard/")
    assert response is not None and response.status == 404
