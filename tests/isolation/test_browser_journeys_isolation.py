"""The journeys' isolation, in a real browser: another buyer and another vendor's owner get 404
for a buyer's order and claim, lists do not leak them, and a session on one store's host does not
open another store's dashboard."""

from __future__ import annotations

import pytest

from tests.e2e.journeys import buy_in_browser, connect_vendor, login, publish_listing
from tests.factories import UserFactory
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_orders_and_claims_stay_with_their_buyer_and_vendor_in_the_browser(
    page, browser, site, live_server, task_worker, emulator_for_live_server,
    vendor_a, vendor_b, owner_a, owner_b, buyer,
):
    from disputes import services

    connect_vendor(vendor_a, emulator_for_live_server)
    lamp = publish_listing(vendor_a, sellable_variant(vendor_a, price=2500, stock=3,
                                                      name="Secret Alpha Lamp"))
    login(page, site.platform, buyer.email, PASSWORD)
    order = buy_in_browser(page, site.platform, [lamp])
    sub = order.sub_orders.get()
    claim = services.claim_open(buyer=buyer, order_id=order.pk, sub_order_id=sub.pk, reason="damaged",
                                description="Alpha-only claim text", lines={sub.lines.get().pk: 1})

    other = browser.new_context().new_page()
    try:
        # Another buyer: 404 for the order, its payment return page and the claim; lists are empty.
        intruder = UserFactory(email="intruder@example.com")
        login(other, site.platform, intruder.email, PASSWORD)
        for path in (f"/orders/{order.pk}/", f"/checkout/return/{order.pk}/", f"/claims/{claim.pk}/",
                     f"/orders/{order.pk}/claims/new/"):
            response = other.goto(f"{site.platform}{path}")
            assert response.status == 404, path
        other.goto(f"{site.platform}/orders/")
        assert order.number not in other.content()
        other.goto(f"{site.platform}/claims/")
        assert claim.number not in other.content()

        # Vendor B's owner, on B's own host: A's claim is a 404 and not in B's list.
        bravo = site.vendor(vendor_b)
        login(other, bravo, owner_b.email, PASSWORD)
        assert other.goto(f"{bravo}/dashboard/claims/{claim.pk}/").status == 404
        other.goto(f"{bravo}/dashboard/claims/")
        assert claim.number not in other.content() and "Alpha-only claim text" not in other.content()
        other.goto(f"{bravo}/dashboard/money/")
        assert f"#{order.number}" not in other.content()

        # A's owner logged in on A's host: B's dashboard is not open to that session.
        alpha = site.vendor(vendor_a)
        login(other, alpha, owner_a.email, PASSWORD)
        other.context.clear_cookies(domain=f"{vendor_b.slug}.marketplace.localhost")
        response = other.goto(f"{bravo}/dashboard/claims/")
        # Host-only session cookies send A's owner to B's login page (a wider cookie → 404).
        assert "/accounts/login/" in other.url or response.status == 404
        assert "Alpha-only claim text" not in other.content()
    finally:
        browser.finish(other.context)
