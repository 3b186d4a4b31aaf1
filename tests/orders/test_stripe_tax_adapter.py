"""The Stripe Tax adapter (`StripeTaxCalculator`) through the payments gateway and the real
stripe SDK against the project's emulator: rates per destination and category, who owes the tax,
refusal where Stripe does not collect, a timeout as a clear refusal, the tax transaction, and a
checkout priced by it (docs/adr/0070)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from orders import services
from orders.errors import TaxDestinationUnsupported, TaxServiceUnavailable
from orders.models import Order
from orders.tax import BUYER, PLATFORM, VENDOR, StripeTaxCalculator, TaxLine
from payments import gateway
from tests.factories.orders import sellable_variant, variant_stock
from tests.support.addresses import ADDRESS_DE

pytestmark = pytest.mark.django_db


@pytest.fixture
def emulator(gateway_on_emulator: Any) -> Any:
    return gateway_on_emulator


def _control(emulator: Any, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(emulator.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # nosec B310 (the local emulator)
        return json.loads(response.read())


def _calculations(emulator: Any) -> list[dict[str, Any]]:
    return list(_control(emulator, "GET", "/_emulator/state")["objects"].get("tax.calculation", []))


def _quote(country: str, region: str, *lines: TaxLine, vat_id: str = "", currency: str = "EUR") -> Any:
    return StripeTaxCalculator().quote(country=country, region=region, currency=currency, lines=list(lines),
                                       buyer_vat_id=vat_id)


def test_german_prices_include_vat_at_the_standard_and_the_reduced_rate(emulator):
    quote = _quote("DE", "", TaxLine("shirt", 11_900, "standard"), TaxLine("novel", 10_700, "books"))
    assert quote.inclusive
    assert [(r.key, r.rate_bp, r.tax_amount, r.collector) for r in quote.lines] == [
        ("shirt", 1900, 1900, VENDOR), ("novel", 700, 700, VENDOR)]
    # One calculation reached Stripe, in the buyer's currency and country.
    (calc,) = _calculations(emulator)
    assert (calc["currency"], calc["customer_details"]["address"]["country"]) == ("eur", "DE")
    assert calc["tax_amount_inclusive"] == 2600 and calc["amount_total"] == 22_600


def test_us_sales_tax_is_added_to_the_price(emulator):
    quote = _quote("US", "ca", TaxLine("a", 10_000), currency="USD")
    assert not quote.inclusive
    assert [(r.rate_bp, r.tax_amount) for r in quote.lines] == [(725, 725)]


def test_reverse_charge_sends_the_line_as_exempt_and_the_buyer_owes_the_tax(emulator):
    quote = _quote("DE", "", TaxLine("cross", 10_000, "standard", "FR"), vat_id="DE136695976")
    assert [(r.rate_bp, r.tax_amount, r.collector) for r in quote.lines] == [(0, 0, BUYER)]
    assert quote.reverse_charge


def test_a_seller_outside_the_eu_makes_the_platform_the_deemed_supplier(emulator):
    quote = _quote("FR", "", TaxLine("a", 12_000, "standard", "US"), TaxLine("b", 12_000, "standard", "DE"))
    assert [(r.collector, r.tax_amount) for r in quote.lines] == [(PLATFORM, 2000), (VENDOR, 2000)]


def test_a_destination_stripe_does_not_collect_in_is_refused_not_taxed_at_zero(emulator):
    with pytest.raises(TaxDestinationUnsupported, match="JP"):
        _quote("JP", "", TaxLine("a", 10_000), currency="JPY")


def test_a_tax_service_timeout_is_a_clear_refusal(emulator, settings):
    settings.STRIPE_TIMEOUT_SECONDS = 0.2
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    _control(emulator, "POST", "/_emulator/faults",
             {"kind": "timeout", "delay_ms": 800, "path": "/v1/tax/calculations", "method": "POST"})
    try:
        with pytest.raises(TaxServiceUnavailable, match="did not answer"):
            _quote("DE", "", TaxLine("a", 11_900))
    finally:
        _control(emulator, "DELETE", "/_emulator/faults")


def test_a_calculation_is_recorded_as_a_tax_transaction_once(emulator):
    calculation = gateway.tax_calculation_create(
        currency="EUR", country="DE", region="",
        lines=[gateway.TaxCalculationLine(reference="line-1", amount=11_900, tax_code="txcd_99999999")],
    )
    assert [(item.reference, item.amount_tax, item.rate_bp) for item in calculation.lines] == [("line-1", 1900, 1900)]
    first = gateway.tax_transaction_create(calculation_id=calculation.id, reference="order-42")
    again = gateway.tax_transaction_create(calculation_id=calculation.id, reference="order-42")
    assert first == again and first.startswith("tax_")
    transaction = gateway._client().v1.tax.transactions.retrieve(first)
    assert transaction.reference == "order-42"
    assert [(li.reference, li.amount_tax) for li in transaction.line_items.data] == [("line-1", 1900)]


def test_checkout_priced_by_stripe_tax(shopper, vendor_a, emulator, settings):
    settings.ORDERS_TAX_CALCULATOR = "orders.tax.StripeTaxCalculator"
    variant = sellable_variant(vendor_a, price=11_900, stock=5)
    cart = services.cart_for(user=shopper, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=variant.pk, quantity=2)
    order = services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="stax-1")
    line = order.lines.get()
    assert (line.line_amount, line.tax_rate_bp, line.tax_amount) == (23_800, 1900, 3800)
    assert order.tax_amount == 3800 and Order.objects.filter(buyer=shopper).count() == 1
    assert variant_stock(vendor_a, variant.pk) == 3
