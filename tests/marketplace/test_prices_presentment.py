"""Prices in the buyer's presentment currency (ADR 0096): cards, product pages (both hosts) and
cart lines convert each vendor's price with the cart's rates of the day, rounded as checkout
rounds, the vendor's own price beside; no rate: the vendor's price and a note; one rate read
per page however many cards."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.models import Product
from common.money import SUPPORTED_CURRENCIES, convert, format_money_localized
from marketplace.presentment import presentment_of
from marketplace.search import projection_changed
from orders import services
from orders.currency import RateSet, rate_for, rates_store
from tests.factories import VendorFactory
from tests.factories.orders import sellable_variant, vendor_currency_set
from tests.marketplace.helpers import make_listing
from tests.support.addresses import ADDRESS_DE

pytestmark = pytest.mark.django_db

# ECB quotes (units per EUR) for every currency the marketplace sells in, some of them a few days
# old (the last known within ORDERS_FX_MAX_AGE_DAYS, as checkout uses them).
QUOTES = {"GBP": Decimal("0.83125"), "USD": Decimal("1.0834"), "CHF": Decimal("0.9402"),
          "SEK": Decimal("11.5230"), "DKK": Decimal("7.4605"), "PLN": Decimal("4.3215"), "JPY": Decimal("158.47")}


@pytest.fixture
def rates_today(db: Any) -> None:
    today = timezone.localdate()
    rates_store(rate_sets=[
        RateSet("ecb", today - dt.timedelta(days=2), "EUR", {code: QUOTES[code] for code in ("JPY", "DKK")}),
        RateSet("ecb", today, "EUR", {code: rate for code, rate in QUOTES.items() if code not in ("JPY", "DKK")}),
    ])


def _text(response: Any) -> str:
    return response.content.decode().replace("\xa0", " ")


# --- the conversion is checkout's, to the cent ------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=st.integers(min_value=0, max_value=10**10), source=st.sampled_from(SUPPORTED_CURRENCIES),
       target=st.sampled_from(SUPPORTED_CURRENCIES))
def test_a_shown_price_is_what_checkout_converts_to(rates_today: None, amount: int, source: str, target: str) -> None:
    shown = presentment_of(target).price(amount, source)
    checkout_rate = rate_for(source=source, target=target, on=timezone.localdate())

    assert shown.converted and shown.currency == target
    assert shown.amount == convert(amount, source=source, target=target, rate=checkout_rate.rate)
    assert shown.rate_date == checkout_rate.rate_date
    assert (shown.own_amount, shown.own_currency) == (amount, source)


def test_without_a_rate_within_the_limit_the_vendors_price_shows_unconverted(db: Any) -> None:
    rates_store(rate_sets=[RateSet("ecb", timezone.localdate() - dt.timedelta(days=30), "EUR", QUOTES)])

    shown = presentment_of("EUR").price(1000, "GBP")

    assert not shown.converted and not shown.differs
    assert (shown.amount, shown.currency, shown.target) == (1000, "GBP", "EUR")
    assert presentment_of("EUR").price(1000, "EUR").amount == 1000  # its own currency needs no rate


@pytest.fixture
def mixed(shopper: Any, vendor_a: Any, vendor_b: Any, rates_today: None) -> dict[str, Any]:
    """A EUR vendor and a GBP vendor, each with a product listed on the marketplace and in the cart."""
    vendor_currency_set(vendor_b, "GBP")
    cart = services.cart_for(user=shopper, create=True)
    rows = {}
    for vendor, name, price, currency, quantity in ((vendor_a, "Alpha Lamp", 2499, "EUR", 1),
                                                    (vendor_b, "Bravo Scarf", 1337, "GBP", 3)):
        variant = sellable_variant(vendor, price=price, stock=9, currency=currency, name=name)
        with schema_context(vendor.store.schema_name):
            product = Product.objects.get(pk=variant.product_id)
        listing = make_listing(vendor, name, product_id=product.pk, price=price, currency=currency)
        listing.variants = [{**listing.variants[0], "id": variant.pk, "sku": variant.sku}]
        listing.handle = product.handle
        listing.save(update_fields=["variants", "handle"])
        services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=quantity)
        rows[name] = listing
    return {"cart": cart, **rows}


def test_card_product_page_cart_and_order_agree_to_the_cent(client_for: Any, shopper: Any, mixed: dict[str, Any]
                                                            ) -> None:
    client = client_for("marketplace.localhost", shopper)
    client.post("/currency/", {"currency": "SEK"})
    gbp_sek = rate_for(source="GBP", target="SEK", on=timezone.localdate()).rate
    eur_sek = rate_for(source="EUR", target="SEK", on=timezone.localdate()).rate
    scarf_sek = convert(1337, source="GBP", target="SEK", rate=gbp_sek)  # 13.37 GBP → 185.36 SEK
    lamp_sek = convert(2499, source="EUR", target="SEK", rate=eur_sek)
    scarf_text, lamp_text = format_money_localized(scarf_sek, "SEK"), format_money_localized(lamp_sek, "SEK")

    home = _text(client.get("/"))
    assert f"{scarf_text}</span> <span class=\"price-own\"" in home and "13.37 GBP" in home
    assert lamp_text in home and "24.99 EUR" in home
    scarf = mixed["Bravo Scarf"]
    product = _text(client.get(f"/p/{scarf.pk}/{scarf.handle}/"))
    assert scarf_text in product.split('id="listing-price"', 1)[1].split("</p>", 1)[0]
    cart = _text(client.get("/cart/"))
    assert scarf_text in cart and "13.37 GBP" in cart

    order = services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={},
                                     checkout_token="fx-show-1", currency="SEK")

    lines = {line.name: line for sub in order.sub_orders.all() for line in sub.lines.all()}
    assert lines["Bravo Scarf"].unit_price_amount == scarf_sek
    assert lines["Alpha Lamp"].unit_price_amount == lamp_sek
    total = format_money_localized(order.total_amount, "SEK")
    assert f'<strong id="cart-total">{total}</strong>' in cart


def test_a_buyer_of_the_vendors_currency_sees_one_price(client_for: Any, shopper: Any, mixed: dict[str, Any]) -> None:
    client = client_for("marketplace.localhost", shopper)
    client.post("/currency/", {"currency": "GBP"})
    scarf = mixed["Bravo Scarf"]

    product = _text(client.get(f"/p/{scarf.pk}/{scarf.handle}/"))

    price = product.split('id="listing-price"', 1)[1].split("</p>", 1)[0]
    assert "13.37 GBP" in price and "≈" not in price and "price-own" not in price


def test_a_missing_rate_shows_the_vendors_price_and_says_so_everywhere(client_for: Any, shopper: Any,
                                                                      mixed: dict[str, Any]) -> None:
    from orders.models import ExchangeRate

    ExchangeRate.objects.filter(currency="GBP").update(date=timezone.localdate() - dt.timedelta(days=30))
    projection_changed()  # the cached rates of the day are retired, as a newly stored day does
    client = client_for("marketplace.localhost", shopper)
    client.post("/currency/", {"currency": "EUR"})
    scarf = mixed["Bravo Scarf"]

    home = _text(client.get("/"))
    product = _text(client.get(f"/p/{scarf.pk}/{scarf.handle}/"))
    cart = _text(client.get("/cart/"))

    for body in (home, product):
        assert "13.37 GBP <span class=\"price-unconverted\" data-price-unconverted>(no exchange rate to EUR today)" in body
    assert 'id="fx-error"' in cart and "data-unconverted" in cart
    assert "13.37 GBP" in cart and "40.11 GBP" in cart and "(not converted)" in cart


def test_the_vendor_hosts_product_page_and_cards_convert_too(client_for: Any, mixed: dict[str, Any],
                                                             vendor_b: Any) -> None:
    # A visitor of the vendor's host reading English: EUR (the default), the store sells in GBP.
    scarf = mixed["Bravo Scarf"]
    eur = convert(1337, source="GBP", target="EUR", rate=rate_for(source="GBP", target="EUR",
                                                                   on=timezone.localdate()).rate)
    client = client_for(vendor_b)

    product = _text(client.get(f"/products/{scarf.product_id}/{scarf.handle}/"))
    home = _text(client.get("/"))

    price = product.split('id="listing-price"', 1)[1].split("</p>", 1)[0]
    eur_text = format_money_localized(eur, "EUR")
    assert eur_text in price and "13.37 GBP" in price
    assert f"≈ {eur_text} (13.37 GBP)" in product  # the option of the add-to-cart form
    assert eur_text in home and "13.37 GBP" in home


# --- one read of the rates per page, whatever the number of cards -------------------------------


def _rate_reads(queries: CaptureQueriesContext) -> int:
    return sum('"orders_exchangerate"' in query["sql"] for query in queries.captured_queries)


@pytest.fixture
def many_currencies(rates_today: None) -> list[Any]:
    from marketplace.models import Category

    garden = Category.objects.create(name="Garden", slug="garden", path="garden")
    vendors = [VendorFactory(slug=f"fx{n}", name=f"Fx Store {n}") for n in range(4)]
    return [make_listing(vendors[n % 4], f"Trowel {n}", price=1000 + n, currency=SUPPORTED_CURRENCIES[n % 8],
                         category_id=garden.pk) for n in range(24)]


@pytest.mark.parametrize(("path", "pinned"), [("/", 12), ("/search/?q=trowel", 15), ("/c/garden/", 15)])
def test_listing_pages_read_the_rates_once_and_keep_their_query_pins(
        platform_client: Any, many_currencies: list[Any], django_assert_max_num_queries: Any,
        path: str, pinned: int) -> None:
    projection_changed()  # a cold rate cache: the page reads them itself
    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(pinned):
        response = platform_client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert _text(response).count("data-price-presented") >= 7
    assert _rate_reads(queries) <= 1


def test_a_product_page_reads_the_rates_once(platform_client: Any, many_currencies: list[Any],
                                             django_assert_max_num_queries: Any) -> None:
    listing = many_currencies[1]  # USD, with more from its store in several currencies
    projection_changed()
    # The product page's pin (tests/marketplace/test_pages.py) less the reviews' count of a product
    # without reviews; the recommendation rows are two of them (ADR 0095).
    with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(11):
        response = platform_client.get(f"/p/{listing.pk}/{listing.handle}/")
    assert response.status_code == 200 and "data-price-presented" in response.content.decode()
    assert _rate_reads(queries) == 1


def test_a_buyer_switching_currency_sees_every_card_in_it(client_for: Any, shopper: Any,
                                                          many_currencies: list[Any]) -> None:
    client = client_for("marketplace.localhost", shopper)
    client.post("/currency/", {"currency": "JPY"})

    home = _text(client.get("/"))

    shown = home.count('data-price-currency="JPY"')
    assert shown >= 8 and 'data-price-currency="EUR"' not in home
