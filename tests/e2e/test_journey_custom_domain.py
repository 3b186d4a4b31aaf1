"""Journey (issue 26, ADR 0092): a vendor adds its own domain in the dashboard, is told what is
missing, publishes the TXT record (in the DNS server the test runs) and verifies; a buyer then
shops on the custom domain, adds to cart there and pays in the marketplace's checkout. The
dashboard on the custom domain leads back to the platform's host, and no session cookie crosses."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.journeys import (
    address_fill,
    assert_accessible,
    axe_init_script,
    connect_vendor,
    fill_card,
    follow,
    login,
    open_payment_page,
    pictured_listing,
)
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant, shipping_rate

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CUSTOM = "shop-alpha.localhost"


def test_vendor_verifies_a_custom_domain_and_a_buyer_buys_on_it(
    page, site, shot, live_server, task_worker, emulator_for_live_server, _journey_media, dns_zone,
    vendor_a, owner_a, buyer,
):
    from orders.models import Order
    from tenants.models import CustomDomain, Domain

    connect_vendor(vendor_a, emulator_for_live_server)
    lamp = pictured_listing(vendor_a, sellable_variant(vendor_a, price=4500, stock=5, name="Cabin Lamp"), 11)
    shipping_rate(vendor_a, name="Parcel", base_amount=490)
    store = site.vendor(vendor_a)
    port = urlsplit(store).port
    custom = f"http://{CUSTOM}:{port}"
    page.context.add_init_script(script=axe_init_script(CUSTOM))  # axe-core on the custom domain too

    # --- The owner adds the domain; a malformed one is a form error first. ---
    login(page, store, owner_a.email, PASSWORD)
    page.goto(f"{store}/dashboard/")
    follow(page, page.get_by_role("link", name="Custom domains"))
    page.get_by_label("Your domain").fill("https://shop-alpha.localhost/")
    page.get_by_role("button", name="Add domain").click()
    expect(page.get_by_text("no http://, path or email")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Your domain").fill(CUSTOM)
    page.get_by_role("button", name="Add domain").click()
    expect(page.get_by_text(f"{CUSTOM} added")).to_be_visible()
    claim = CustomDomain.objects.get(domain=CUSTOM)
    row = page.locator(f"#domain-{claim.pk}")
    expect(row.locator("[data-txt-value]")).to_have_text(f"marketplace-domain-verification={claim.token}")

    # --- Verifying before the record exists says what is missing, and routes nothing. ---
    row.get_by_role("button", name=f"Verify {CUSTOM}").click()
    expect(row.get_by_role("alert")).to_contain_text(f"There is no TXT record at _marketplace-challenge.{CUSTOM}")
    assert not Domain.objects.filter(domain=CUSTOM).exists()
    assert_accessible(page, fresh=True)
    shot(page, "dom-01-custom-domain-waiting-for-proof")

    # --- The vendor publishes the record at its DNS provider; verifying routes the name. ---
    dns_zone.txt(f"_marketplace-challenge.{CUSTOM}", f"marketplace-domain-verification={claim.token}")
    row.get_by_role("button", name=f"Verify {CUSTOM}").click()
    expect(row.locator("[data-domain-status]")).to_have_text("Verified")
    assert Domain.objects.get(domain=CUSTOM).tenant_id == vendor_a.store.pk
    assert_accessible(page, fresh=True)
    shot(page, "dom-02-custom-domain-verified")

    # --- The owner's session stays on the platform's host: the custom domain has no cookie of it,
    # and its dashboard address leads back to the platform's host, still signed in there. ---
    page.goto(f"{custom}/dashboard/")
    page.wait_for_url(f"{store}/dashboard/")
    expect(page.get_by_role("link", name="Custom domains")).to_be_visible()
    assert [c["name"] for c in page.context.cookies(f"{custom}/") if c["name"] == "sessionid"] == []

    # --- A buyer, signed in on the marketplace, shops on the custom domain. ---
    login(page, site.platform, buyer.email, PASSWORD)
    page.goto(f"{custom}/")
    expect(page.get_by_role("link", name="Cabin Lamp")).to_be_visible()
    assert_accessible(page)
    shot(page, "dom-03-storefront-on-custom-domain")
    follow(page, page.get_by_role("link", name="Cabin Lamp"))
    assert page.url == f"{custom}/products/{lamp.product_id}/{lamp.handle}/"
    assert_accessible(page)
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(f"{site.platform}/cart/")
    expect(page.locator("[data-sku]")).to_contain_text("Cabin Lamp")
    shot(page, "dom-04-platform-cart-from-custom-domain")

    page.goto(f"{site.platform}/checkout/")
    address_fill(page)
    page.get_by_role("button", name="Pay now").click()
    open_payment_page(page)
    fill_card(page, "4242 4242 4242 4242")
    page.locator("#pay-button").click()
    page.wait_for_url(re.compile(r".*/checkout/return/\d+/.*"), timeout=30_000)
    page.get_by_text("Thank you! Your order is confirmed.").wait_for(timeout=30_000)
    order = Order.objects.get(pk=int(re.search(r"/checkout/return/(\d+)/", page.url).group(1)))
    assert order.buyer_id == buyer.pk
    assert [(line.vendor_id, line.quantity) for line in order.lines.all()] == [(vendor_a.pk, 1)]

    # --- The owner removes the domain: the name stops showing the store. ---
    login(page, store, owner_a.email, PASSWORD)
    page.goto(f"{store}/dashboard/storefront/domains/")
    page.get_by_role("button", name=f"Remove {CUSTOM}").click()
    expect(page.get_by_text(f"{CUSTOM} removed")).to_be_visible()
    assert not Domain.objects.filter(domain=CUSTOM).exists()
    from django.test import Client

    assert Client(HTTP_HOST=f"{CUSTOM}:{port}").get("/").status_code == 404
