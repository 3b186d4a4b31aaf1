"""Journey: a buyer in France chooses EUR in the header, fills one cart from a GBP vendor and a EUR
vendor, pays once in EUR, gets one invoice per vendor; the GBP vendor refunds part of its items
through a claim, taken back from its GBP transfer at the order's rate; the ledger balances."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tests.e2e.journeys import (
    assert_accessible,
    connect_vendor,
    fill_card,
    follow,
    login,
    open_payment_page,
    publish_listing,
)
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant, shipping_rate
from tests.support.ledger import ledger_balanced
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _text(locator: Any) -> str:
    return " ".join(locator.inner_text().replace("\xa0", " ").split())


def test_a_buyer_in_france_pays_in_eur_for_a_gbp_and_a_eur_vendor(
    page, browser, site, shot, live_server, task_worker, emulator_for_live_server, _journey_media,
    vendor_a, vendor_b, owner_b, buyer,
):
    from disputes.models import Claim
    from orders.currency import RateSet, rates_store
    from orders.models import Order, OrderExchangeRate
    from payouts.models import Invoice, JournalEntry

    rates_store(rate_sets=[RateSet("ecb", timezone.localdate(), "EUR", {"GBP": Decimal("0.83125")})])
    # Bravo sells in GBP: its shipping settings are priced in the vendor's own currency (ship branch).
    vendor_b.currency = "GBP"
    vendor_b.save(update_fields=["currency"])
    connect_vendor(vendor_a, emulator_for_live_server)
    connect_vendor(vendor_b, emulator_for_live_server)
    kettle = publish_listing(vendor_a, sellable_variant(vendor_a, price=11_900, stock=9, name="Copper Kettle"))
    scarf = publish_listing(vendor_b, sellable_variant(vendor_b, price=2_000, stock=9, currency="GBP",
                                                       name="Tweed Scarf"))
    shipping_rate(vendor_a, name="Parcel", base_amount=490)
    shipping_rate(vendor_b, name="Royal Mail", base_amount=390)

    # --- The buyer picks EUR in the header: every card and product page shows EUR, the GBP
    # vendor's own price beside (ADR 0096), converted as the cart and checkout will convert it. ---
    login(page, site.platform, buyer.email, PASSWORD)
    page.goto(f"{site.platform}/")
    with page.expect_navigation():
        page.get_by_label("Currency").select_option("EUR")
    # £20.00 at 1 GBP = 1.2030075188 EUR: 24.06 EUR a scarf.
    scarf_card = page.locator(f'[data-listing="{scarf.pk}"] .listing-price')
    presented = _text(scarf_card.locator("[data-price-presented]"))
    assert presented.startswith("≈") and presented.endswith("24.06 EUR")
    assert _text(scarf_card.locator("[data-price-own]")).endswith("20.00 GBP")
    kettle_card = page.locator(f'[data-listing="{kettle.pk}"] .listing-price')
    assert _text(kettle_card) == "119.00 EUR" and kettle_card.locator("[data-price-own]").count() == 0
    assert_accessible(page)
    scarf_card.evaluate("price => price.closest('.card').scrollIntoView({block: 'center'})")
    shot(page, "fx-00-cards-in-eur")
    page.goto(f"{site.platform}/p/{scarf.pk}/{scarf.handle}/")
    product_price = page.locator("#listing-price")
    assert "24.06 EUR" in _text(product_price.locator("[data-price-presented]"))
    assert "20.00 GBP" in _text(product_price.locator("[data-price-own]"))
    assert_accessible(page)
    shot(page, "fx-00-product-in-eur")

    # --- The buyer fills the cart from both vendors: the cart shows the same 24.06 EUR. ---
    for listing in (kettle, scarf):
        page.goto(f"{site.platform}/p/{listing.pk}/{listing.handle}/")
        page.get_by_role("button", name="Add to cart").click()
        page.get_by_text("Added to your cart.").wait_for()
    page.goto(f"{site.platform}/cart/")
    page.locator("#fx-note").wait_for()
    scarf_line = _text(page.locator(f'[data-sku="{scarf.variants[0]["sku"]}"] [data-testid="unit-price"]'))
    assert scarf_line.startswith("24.06 EUR") and scarf_line.endswith("20.00 GBP")
    assert_accessible(page)
    shot(page, "fx-01-cart-in-eur")

    # --- Checkout to France, one payment in EUR. ---
    page.goto(f"{site.platform}/checkout/")
    page.get_by_label("Full name").fill("Camille Acheteuse")
    page.get_by_label("Address", exact=True).fill("12 rue de Rivoli")
    page.get_by_label("Postal code").fill("75001")
    page.get_by_label("City").fill("Paris")
    page.get_by_label("Country").select_option("FR")
    assert_accessible(page)
    shot(page, "fx-02-checkout-eur")
    page.get_by_role("button", name="Pay now").click()
    open_payment_page(page)
    fill_card(page, "4242 4242 4242 4242")
    page.locator("#pay-button").click()
    page.wait_for_url(re.compile(r".*/checkout/return/\d+/.*"), timeout=30_000)
    page.get_by_text("Thank you! Your order is confirmed.").wait_for(timeout=30_000)
    order = Order.objects.get(pk=int(re.search(r"/checkout/return/(\d+)/", page.url).group(1)))
    assert order.currency == "EUR" and order.ship_country == "FR"
    scarf_line = next(line for sub in order.sub_orders.all() for line in sub.lines.all() if line.name == "Tweed Scarf")
    assert scarf_line.unit_price_amount == 2406  # what the card, the product page and the cart showed
    assert OrderExchangeRate.objects.filter(order=order, source_currency="GBP", target_currency="EUR").exists()
    sub_b = order.sub_orders.get(vendor=vendor_b)
    assert sub_b.settlement_currency == "GBP" and sub_b.settlement_net_amount > 0

    # --- Two invoices, one per vendor, on the buyer's order page. ---
    wait_until(lambda: Invoice.objects.filter(sub_order__order=order).count() == 2, message="two invoices issued")
    page.goto(f"{site.platform}/orders/{order.pk}/")
    assert page.get_by_test_id("invoices").count() == 2
    assert_accessible(page)
    shot(page, "fx-03-order-two-invoices")

    # --- The buyer claims one scarf; the GBP vendor refunds part of it. ---
    follow(page, page.get_by_role("link", name="Problem with this order? Open a claim"))
    page.locator(f"#sub-{sub_b.pk}").check()
    page.get_by_label("Quantity of Tweed Scarf").fill("1")
    page.get_by_label("Reason").select_option("damaged")
    page.get_by_label("What happened?").fill("One scarf has a pulled thread along the hem.")
    page.get_by_role("button", name="Send the claim").click()
    page.wait_for_url(re.compile(r".*/claims/\d+/$"))
    claim = Claim.objects.get(order=order)

    store = site.vendor(vendor_b)
    vendor_page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    vendor_page.set_default_timeout(15_000)
    try:
        login(vendor_page, store, owner_b.email, PASSWORD)
        vendor_page.goto(f"{store}/dashboard/claims/")
        follow(vendor_page, vendor_page.get_by_role("link", name=claim.number))
        vendor_page.get_by_label("Partial", exact=True).check()
        vendor_page.get_by_label(re.compile(r"^Partial amount")).fill("10.00")
        assert_accessible(vendor_page)
        shot(vendor_page, "fx-04-vendor-partial-refund")
        vendor_page.get_by_role("button", name="Accept the claim").click()
        wait_until(lambda: Claim.objects.get(pk=claim.pk).refunded_amount == 1000, message="the partial refund")
    finally:
        vendor_page.context.close()
    # The vendor's part comes back in GBP, converted with the order's snapshot; each entry balances.
    wait_until(lambda: JournalEntry.objects.filter(kind="fx_conversion").count() >= 2,
               message="the GBP vendor's part taken back at the order's rate")
    assert ledger_balanced()
