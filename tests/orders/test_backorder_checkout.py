"""Backorders and pre-orders from the buyer's side: the date shown, the checkout, the order line."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django_tenants.utils import schema_context

from catalog.models import StockLevel, Variant
from catalog.services import stock_policy_set
from frontend.templatetags.ui import day
from marketplace.models import Listing
from orders import services
from orders.errors import OutOfStock
from orders.models import OrderLine
from tests.factories import UserFactory
from tests.factories.orders import sellable_variant, variant_stock
from tests.support.addresses import ADDRESS_DE

pytestmark = pytest.mark.django_db

SHIPS = dt.date(2027, 1, 12)


def _policy(vendor: Any, variant: Any, policy: str, limit: int, available_on: dt.date | None = SHIPS) -> None:
    with schema_context(vendor.store.schema_name):
        stock_policy_set(variant=Variant.objects.get(pk=variant.pk), policy=policy, backorder_limit=limit,
                         available_on=available_on)


def _checkout(user: Any, vendor: Any, variant: Any, quantity: int) -> Any:
    cart = services.cart_for(user=user, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=quantity)
    return services.checkout_submit(user=user, address=ADDRESS_DE, shipping_choice={},
                                    checkout_token=f"bo-{user.pk}-{variant.pk}")


def test_a_backordered_item_checks_out_and_its_line_records_the_units_and_date(vendor_a):
    variant = sellable_variant(vendor_a, stock=2)
    _policy(vendor_a, variant, "backorder", 5)

    order = _checkout(UserFactory(), vendor_a, variant, 4)

    line = OrderLine.objects.get(order=order)
    assert (line.quantity, line.backordered_quantity, line.ships_from) == (4, 2, SHIPS)
    assert variant_stock(vendor_a, variant.pk) == -2
    with schema_context(vendor_a.store.schema_name):
        assert not StockLevel.objects.filter(variant_id=variant.pk, quantity__gt=0).exists()


def test_an_item_in_stock_records_no_backorder(vendor_a):
    variant = sellable_variant(vendor_a, stock=5)
    _policy(vendor_a, variant, "backorder", 5)
    order = _checkout(UserFactory(), vendor_a, variant, 3)
    line = OrderLine.objects.get(order=order)
    assert (line.backordered_quantity, line.ships_from) == (0, None)


def test_beyond_the_backorder_limit_the_cart_refuses(vendor_a):
    variant = sellable_variant(vendor_a, stock=1)
    _policy(vendor_a, variant, "backorder", 2)
    cart = services.cart_for(user=UserFactory(), create=True)
    with pytest.raises(OutOfStock):
        services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=variant.pk, quantity=4)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=variant.pk, quantity=3)


def test_a_preorder_shows_its_date_in_the_cart_and_checks_out(client_for, vendor_a):
    variant = sellable_variant(vendor_a, stock=0)
    _policy(vendor_a, variant, "preorder", 10)
    buyer = UserFactory()
    cart = services.cart_for(user=buyer, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=variant.pk, quantity=2)

    html = client_for("marketplace.localhost", buyer).get("/cart/").content.decode()
    assert 'data-testid="ships-from"' in html and f"Ships from {day(SHIPS)}" in html

    order = services.checkout_submit(user=buyer, address=ADDRESS_DE, shipping_choice={}, checkout_token="pre-1")
    assert OrderLine.objects.get(order=order).backordered_quantity == 2


def test_a_preorder_shows_its_date_on_the_product_page(client_for, vendor_a, relay):
    variant = sellable_variant(vendor_a, stock=0, name="Pre-order Kettle")
    _policy(vendor_a, variant, "preorder", 10)
    relay(vendor_a)
    listing = Listing.objects.get(vendor=vendor_a, product_id=variant.product_id)
    assert not listing.in_stock and listing.orderable

    html = client_for("marketplace.localhost").get(f"/p/{listing.pk}/{listing.handle}/").content.decode()
    assert f"Pre-order · ships from {day(SHIPS)}" in html
    assert f"pre-order, ships from {day(SHIPS)}" in html  # the option in the add-to-cart form
    assert "disabled" not in html.split('id="add-to-cart"')[1].split("</form>")[0]


def test_a_denied_variant_out_of_stock_cannot_be_added(client_for, vendor_a, relay):
    variant = sellable_variant(vendor_a, stock=0, name="Sold Out Kettle")
    _policy(vendor_a, variant, "deny", 0, None)  # (writes the outbox event the listing is made from)
    relay(vendor_a)
    listing = Listing.objects.get(vendor=vendor_a, product_id=variant.product_id)
    assert not listing.orderable
    html = client_for("marketplace.localhost").get(f"/p/{listing.pk}/{listing.handle}/").content.decode()
    assert "Out of stock" in html
