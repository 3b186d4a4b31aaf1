"""Checkout with the tax engine: an untaxable destination or a silent tax service refuses the
order with a clear message and leaves nothing behind; reverse charge and deemed supplier reach
the order, its sub-orders and the ledger."""

from __future__ import annotations

import json

import pytest

from orders import services
from orders.addresses import Address
from orders.errors import InvalidVatId, TaxDestinationUnsupported, TaxServiceUnavailable
from orders.models import Order
from orders.tax import RATES_FILE
from payouts.models import AccountCode, JournalEntry, Posting
from tests.factories.orders import order_pay, sellable_variant, variant_stock
from tests.support.addresses import ADDRESS_DE

pytestmark = pytest.mark.django_db

ADDRESS_NO = Address(name="Bea Buyer", line1="Karl Johans gate 1", line2="", city="Oslo", region="",
                     postal_code="0150", country="NO")


@pytest.fixture
def rates_without_norway(settings, tmp_path):
    """Norway is a shipping country; a rate file without it must make checkout refuse it."""
    with open(RATES_FILE, encoding="utf-8") as fh:
        data = json.load(fh)
    del data["countries"]["NO"]
    path = tmp_path / "tax_rates.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    settings.ORDERS_TAX_RATES_FILE = str(path)


def _cart_with(shopper, vendor, variant, quantity=1):
    cart = services.cart_for(user=shopper, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=quantity)
    return cart


def test_an_untaxable_destination_is_refused_and_nothing_is_made(shopper, vendor_a, rates_without_norway):
    variant = sellable_variant(vendor_a, price=5000, stock=5)
    _cart_with(shopper, vendor_a, variant)
    with pytest.raises(TaxDestinationUnsupported, match="deliveries to NO"):
        services.checkout_submit(user=shopper, address=ADDRESS_NO, shipping_choice={}, checkout_token="t-no")
    assert not Order.objects.filter(buyer=shopper).exists()
    assert variant_stock(vendor_a, variant.pk) == 5
    assert services.cart_for(user=shopper).items.count() == 1


def test_the_api_answers_422_json_for_an_untaxable_destination(shopper, vendor_a, client, rates_without_norway):
    variant = sellable_variant(vendor_a, price=5000, stock=5)
    _cart_with(shopper, vendor_a, variant)
    client.force_login(shopper)
    response = client.post("/api/v1/checkout/", {
        "address": {"name": "Bea", "line1": "Karl Johans gate 1", "city": "Oslo",
                    "postal_code": "0150", "country": "NO"}, "checkout_token": "api-no",
    }, content_type="application/json", HTTP_HOST="marketplace.localhost")
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"]["code"] == "tax_destination_unsupported" if "error" in body else body["code"] == "tax_destination_unsupported"
    assert not Order.objects.filter(buyer=shopper).exists()


def test_the_checkout_form_shows_the_refusal(shopper, vendor_a, client, rates_without_norway):
    variant = sellable_variant(vendor_a, price=5000, stock=5)
    _cart_with(shopper, vendor_a, variant)
    client.force_login(shopper)
    response = client.post("/checkout/", {"name": "Bea", "line1": "Karl Johans gate 1", "city": "Oslo",
                                          "postal_code": "0150", "country": "NO", "checkout_token": "form-no"},
                           HTTP_HOST="marketplace.localhost")
    assert response.status_code == 422
    assert "cannot calculate the tax" in response.content.decode()
    assert not Order.objects.filter(buyer=shopper).exists()


class _SilentTaxService:
    def quote(self, **kwargs):
        raise TaxServiceUnavailable("The tax service did not answer in time; nothing was ordered.")


def test_a_tax_service_timeout_refuses_with_503_and_makes_no_order(shopper, vendor_a, settings):
    settings.ORDERS_TAX_CALCULATOR = "tests.orders.test_checkout_tax._SilentTaxService"
    variant = sellable_variant(vendor_a, price=5000, stock=5)
    _cart_with(shopper, vendor_a, variant)
    with pytest.raises(TaxServiceUnavailable) as refused:
        services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="t-slow")
    assert refused.value.status_code == 503
    assert not Order.objects.filter(buyer=shopper).exists() and variant_stock(vendor_a, variant.pk) == 5


def test_an_invalid_vat_id_is_a_field_error_and_nothing_is_made(shopper, vendor_a):
    variant = sellable_variant(vendor_a, price=5000, stock=5)
    _cart_with(shopper, vendor_a, variant)
    with pytest.raises(InvalidVatId):
        services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="t-vat",
                                 vat_id="DE000000000")
    assert not Order.objects.filter(buyer=shopper).exists()


def test_reverse_charge_for_a_business_buyer_from_another_member_state(shopper, vendor_a):
    vendor_a.country = "FR"
    vendor_a.save(update_fields=["country"])
    variant = sellable_variant(vendor_a, price=10_000, stock=5)
    _cart_with(shopper, vendor_a, variant)
    order = services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="t-rc",
                                     vat_id="DE 136 695 976")
    assert order.buyer_vat_id == "DE136695976" and order.tax_amount == 0
    line = order.lines.get()
    assert (line.tax_rate_bp, line.tax_collector) == (0, "buyer")


def test_deemed_supplier_tax_is_the_platforms_in_the_order_and_the_ledger(shopper, vendor_a):
    vendor_a.country = "US"
    vendor_a.save(update_fields=["country"])
    variant = sellable_variant(vendor_a, price=11_900, stock=5)
    _cart_with(shopper, vendor_a, variant)
    order = services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="t-ds")
    sub = order.sub_orders.get()
    assert sub.tax_amount == 1900 and sub.platform_tax_amount == 1900
    assert sub.net_amount == sub.total_amount - sub.commission_amount - 1900
    order_pay(order)
    entry = JournalEntry.objects.get(key=f"payment_captured:order:{order.pk}")
    assert sum(p.amount for p in entry.postings.all()) == 0
    legs = {(p.account.code, p.account.vendor_id): p.amount for p in entry.postings.select_related("account")}
    assert legs[(AccountCode.TAX_PAYABLE, None)] == -1900
    assert legs[(AccountCode.VENDOR_PENDING, vendor_a.pk)] == -sub.net_amount
    assert not Posting.objects.filter(account__code=AccountCode.TAX_PAYABLE, account__vendor_id=vendor_a.pk).exists()
