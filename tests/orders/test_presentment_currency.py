"""The buyer's presentment currency: the header switcher (page), the cart and checkout APIs, a
cart of two currencies priced and checked out once in the chosen one, and a missing rate refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from common.money import convert
from orders import services
from orders.currency import SESSION_CURRENCY, RateSet, rates_store
from orders.errors import ExchangeRateMissing
from orders.models import Order, OrderExchangeRate
from tests.factories.orders import sellable_variant, vendor_currency_set
from tests.support.addresses import ADDRESS_DE

pytestmark = pytest.mark.django_db

RATES = {"GBP": Decimal("0.83125"), "SEK": Decimal("11.5230"), "JPY": Decimal("158.47")}


@pytest.fixture
def rates_today():
    rates_store(rate_sets=[RateSet("ecb", timezone.localdate(), "EUR", RATES)])


@pytest.fixture
def api(shopper):
    client = APIClient(HTTP_HOST="marketplace.localhost")
    client.force_authenticate(shopper)
    return client


@pytest.fixture
def mixed_cart(shopper, vendor_a, vendor_b):
    eur = sellable_variant(vendor_a, price=2500, stock=5, name="Alpha Lamp")
    vendor_currency_set(vendor_b, "GBP")  # its shipping table is priced in GBP too
    gbp = sellable_variant(vendor_b, price=1000, stock=5, currency="GBP", name="Bravo Scarf")
    cart = services.cart_for(user=shopper, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=eur.pk, quantity=1)
    services.cart_item_add(cart=cart, vendor_id=vendor_b.pk, variant_id=gbp.pk, quantity=2)
    return cart


def test_the_switcher_stores_the_choice_and_the_cart_shows_it(client_for, shopper, mixed_cart, rates_today):
    client = client_for("marketplace.localhost", shopper)

    response = client.post("/currency/", {"currency": "gbp", "next": "/cart/"})

    assert response.status_code == 302 and response["Location"] == "/cart/"
    assert client.session[SESSION_CURRENCY] == "GBP"
    body = client.get("/cart/").content.decode()
    # 25.00 EUR at 0.83125 = 20.78 GBP; the GBP scarf stays 10.00 GBP.
    assert "20.78" in body and "10.00" in body and 'value="GBP" selected' in body
    assert 'id="fx-note"' in body


def test_an_unknown_currency_is_a_form_error_and_changes_nothing(client_for, shopper, mixed_cart):
    client = client_for("marketplace.localhost", shopper)
    client.post("/currency/", {"currency": "EUR"})

    response = client.post("/currency/", {"currency": "XYZ", "next": "/cart/"}, follow=True)

    assert client.session[SESSION_CURRENCY] == "EUR"
    body = response.content.decode()
    assert "XYZ is not a currency this marketplace sells in." in body
    # No rate is stored in this test: the mixed cart says so and cannot go to checkout.
    assert 'id="fx-error"' in body and "No exchange rate from GBP to EUR" in body


def test_the_cart_api_prices_in_the_requested_currency_and_refuses_an_unknown_one(api, mixed_cart, rates_today):
    response = api.get("/api/v1/cart/", {"currency": "JPY"})
    assert response.status_code == 200
    body = response.json()
    assert body["currency"] == "JPY"
    # 25.00 EUR at 158.47 = 3961.75 → 3962 yen (no minor unit); £10.00 at 158.47/0.83125 = 1906.41 → 1906.
    lines = [line for vendor in body["vendors"] for line in vendor["items"]]
    assert sorted(line["unit_price_amount"] for line in lines) == [1906, 3962]
    assert {(fx["source_currency"], fx["target_currency"]) for fx in body["exchange_rates"]} == {
        ("EUR", "JPY"), ("GBP", "JPY")}

    refused = api.get("/api/v1/cart/", {"currency": "XYZ"})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "currency_unsupported"


def test_checkout_charges_once_in_the_chosen_currency_with_the_rates_snapshotted(shopper, mixed_cart, vendor_b,
                                                                                 rates_today):
    order = services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="fx-1",
                                     currency="SEK")

    assert order.currency == "SEK"
    snapshots = {(s.source_currency, s.target_currency): s for s in OrderExchangeRate.objects.filter(order=order)}
    assert set(snapshots) == {("EUR", "SEK"), ("GBP", "SEK")}
    assert snapshots[("EUR", "SEK")].rate == Decimal("11.5230") and snapshots[("EUR", "SEK")].rate_source == "ecb"
    sub_b = order.sub_orders.get(vendor=vendor_b)
    gbp_sek = snapshots[("GBP", "SEK")]
    assert sub_b.lines.get().unit_price_amount == convert(1000, source="GBP", target="SEK", rate=gbp_sek.rate)
    assert sub_b.settlement_currency == "GBP"
    assert sub_b.settlement_net_amount == convert(sub_b.net_amount, source="SEK", target="GBP",
                                                  rate=gbp_sek.inverse_rate)
    assert order.total_amount == sum(sub.total_amount for sub in order.sub_orders.all())


def test_a_missing_rate_refuses_the_checkout_and_leaves_nothing(shopper, mixed_cart):
    stale = timezone.localdate() - dt.timedelta(days=30)
    rates_store(rate_sets=[RateSet("ecb", stale, "EUR", RATES)])

    with pytest.raises(ExchangeRateMissing):
        services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="fx-2",
                                 currency="EUR")

    assert not Order.objects.exists()
    assert mixed_cart.items.count() == 2
    review = services.cart_review(cart=mixed_cart, country="DE", currency="EUR")
    assert review.fx_error is not None and not review.can_checkout


def test_a_cart_of_one_currency_needs_no_rate(shopper, vendor_b):
    gbp = sellable_variant(vendor_currency_set(vendor_b, "GBP"), price=1000, stock=5, currency="GBP")
    cart = services.cart_for(user=shopper, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor_b.pk, variant_id=gbp.pk, quantity=1)

    order = services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="fx-3")

    assert order.currency == "GBP" and not OrderExchangeRate.objects.filter(order=order).exists()
    assert order.sub_orders.get().settlement_net_amount == order.sub_orders.get().net_amount
