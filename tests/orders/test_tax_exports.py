"""Exports out of the EU are zero-rated (docs/adr/0097): a German vendor's parcel to Switzerland
carries no VAT at checkout (the Swiss import VAT is levied at the border), a Swiss vendor selling
in Switzerland charges Swiss VAT, a German vendor selling to France charges French VAT."""

from __future__ import annotations

import pytest

from orders import services
from orders.addresses import Address
from orders.tax import EXPORT, PLATFORM, VENDOR, DataRateTaxCalculator, TaxLine, collector_for
from tests.support.addresses import ADDRESS_DE

pytestmark = pytest.mark.django_db

ADDRESS_CH = Address(name="Bea Buyer", line1="Bahnhofstrasse 1", line2="", city="Zürich", region="",
                     postal_code="8001", country="CH")
ADDRESS_FR = Address(name="Bea Buyer", line1="1 rue de Rivoli", line2="", city="Paris", region="",
                     postal_code="75001", country="FR")


def _quote(country: str, seller: str, amount: int = 10_810) -> tuple[int, int, str]:
    [line] = DataRateTaxCalculator().quote(country=country, region="", currency="EUR",
                                           lines=[TaxLine("a", amount, "standard", seller)]).lines
    return line.rate_bp, line.tax_amount, line.collector


@pytest.mark.parametrize(("seller", "destination", "expected"), [
    ("DE", "CH", (0, 0, EXPORT)),  # an export from the EU: zero-rated, import VAT at the Swiss border
    ("CH", "CH", (810, 810, VENDOR)),  # a Swiss seller in Switzerland: Swiss VAT, 8.1 % included
    ("DE", "FR", (2000, 1802, VENDOR)),  # within the EU: the destination's VAT, 20 % included
    ("FR", "NO", (0, 0, EXPORT)), ("IT", "GB", (0, 0, EXPORT)),  # the same rule to Norway and the UK
    ("GB", "CH", (810, 810, VENDOR)),  # not an EU export: unchanged
])
def test_the_tax_engine_zero_rates_exports_out_of_the_eu(seller, destination, expected):
    assert _quote(destination, seller) == expected


def test_exports_to_us_states_and_unknown_sellers_keep_their_rules():
    # The US taxes sales per state (no import VAT of a country): not the export rule.
    assert collector_for(destination="US", seller_country="DE", buyer_vat_id="") == VENDOR
    # A seller of unknown country counts as local.
    assert collector_for(destination="CH", seller_country="", buyer_vat_id="") == VENDOR
    # A seller outside the EU selling to an EU consumer: still the platform as deemed supplier.
    assert collector_for(destination="DE", seller_country="CH", buyer_vat_id="") == PLATFORM


def _checkout(shopper, vendor, address, token):
    from tests.factories.orders import sellable_variant

    variant = sellable_variant(vendor, price=10_810, stock=5)
    cart = services.cart_for(user=shopper, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=1)
    return services.checkout_submit(user=shopper, address=address, shipping_choice={}, checkout_token=token)


def test_a_german_vendor_shipping_to_zurich_charges_no_vat(shopper, vendor_a):
    assert vendor_a.country == "DE"
    order = _checkout(shopper, vendor_a, ADDRESS_CH, "t-export")
    line, sub = order.lines.get(), order.sub_orders.get()
    assert (line.tax_rate_bp, line.tax_amount, line.tax_collector) == (0, 0, "export")
    assert (order.tax_amount, sub.tax_amount, sub.platform_tax_amount) == (0, 0, 0)
    assert line.line_amount == 10_810  # the price stays what the buyer saw


def test_a_swiss_vendor_selling_in_switzerland_charges_swiss_vat(shopper, vendor_a):
    vendor_a.country = "CH"
    vendor_a.save(update_fields=["country"])
    order = _checkout(shopper, vendor_a, ADDRESS_CH, "t-ch")
    line = order.lines.get()
    assert (line.tax_rate_bp, line.tax_amount, line.tax_collector) == (810, 810, "vendor")


def test_a_german_vendor_selling_to_france_charges_french_vat(shopper, vendor_a):
    order = _checkout(shopper, vendor_a, ADDRESS_FR, "t-fr")
    line = order.lines.get()
    assert (line.tax_rate_bp, line.tax_amount, line.tax_collector) == (2000, 1802, "vendor")


def test_a_german_vendor_selling_at_home_charges_german_vat(shopper, vendor_a):
    order = _checkout(shopper, vendor_a, ADDRESS_DE, "t-de")
    assert order.lines.get().tax_rate_bp == 1900


@pytest.mark.parametrize(("language", "head", "tail"), [
    ("en", "Export outside the EU, exempt from VAT", "duties are due in the country of destination."),
    ("de", "Ausfuhr aus der EU, von der Mehrwertsteuer befreit", "Zölle fallen im Bestimmungsland an."),
    # The French apostrophe prints as one (the PDF fonts are Latin-1), not as "?".
    ("fr", "Exportation hors de l'UE, exonérée de TVA", "la TVA à l'importation et les droits de douane"),
])
def test_the_invoice_of_an_export_states_the_exemption(vendor_a, language, head, tail):
    from payouts.invoices import invoice_pdf
    from payouts.models import Invoice
    from tests.factories import UserFactory
    from tests.factories.orders import order_pay
    from tests.payouts.test_invoices import _text

    buyer = UserFactory(email=f"zurich-{language}@example.com", language=language)
    order = _checkout(buyer, vendor_a, ADDRESS_CH, f"t-invoice-{language}")
    order_pay(order)
    invoice = Invoice.objects.get(sub_order__order=order)
    assert invoice.content["export"] is True and invoice.tax_amount == 0
    text = _text(invoice_pdf(invoice))
    assert head in text and tail in text
