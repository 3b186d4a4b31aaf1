"""Checkout: one order, sub-orders per vendor, stock reserved, every bad input refused cleanly."""

from __future__ import annotations

import pytest

from orders import services
from orders.errors import CartEmpty, OutOfStock, PriceChanged, VendorNotSelling
from orders.models import Order, OrderLine, SubOrder
from tests.factories.orders import sellable_variant, shipping_rate, variant_stock, variant_update
from tests.support.addresses import ADDRESS_DE, ADDRESS_US
from vendors.models import Vendor

pytestmark = pytest.mark.django_db


def _cart_with(shopper, *items):
    cart = services.cart_for(user=shopper, create=True)
    for vendor, variant, quantity in items:
        services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=quantity)
    return cart


def test_checkout_creates_one_order_with_a_sub_order_per_vendor_and_reserves_stock(shopper, vendor_a, vendor_b):
    va = sellable_variant(vendor_a, price=1190, stock=5)
    vb = sellable_variant(vendor_b, price=2380, stock=3)
    rate_a = shipping_rate(vendor_a, base_amount=490)
    shipping_rate(vendor_b, base_amount=0, name="Free")
    _cart_with(shopper, (vendor_a, va, 2), (vendor_b, vb, 1))

    order = services.checkout_submit(user=shopper, address=ADDRESS_DE,
                                     shipping_choice={vendor_a.pk: rate_a.pk}, checkout_token="tok-1")

    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.tax_display == "inclusive"
    assert order.subtotal_amount == 2 * 1190 + 2380
    assert order.shipping_amount == 490
    assert order.total_amount == 2 * 1190 + 2380 + 490
    # German VAT 19 % included: 2380 → 380, 2380 → 380.
    assert order.tax_amount == 380 + 380
    subs = {sub.vendor_id: sub for sub in order.sub_orders.all()}
    assert set(subs) == {vendor_a.pk, vendor_b.pk}
    assert subs[vendor_a.pk].total_amount == 2380 + 490
    assert sum(s.net_amount + s.commission_amount for s in subs.values()) == order.total_amount
    assert OrderLine.objects.filter(order=order).count() == 2
    assert variant_stock(vendor_a, va.pk) == 3
    assert variant_stock(vendor_b, vb.pk) == 2
    assert order.transfer_group == f"order_{order.pk}"
    assert not services.cart_for(user=shopper).items.exists()


def test_us_sales_tax_is_added_on_top(shopper, vendor_a):
    va = sellable_variant(vendor_a, price=10000, stock=5)
    _cart_with(shopper, (vendor_a, va, 1))
    order = services.checkout_submit(user=shopper, address=ADDRESS_US, shipping_choice={}, checkout_token="t")
    assert order.tax_display == "exclusive"
    assert order.tax_amount == 725  # California 7.25 %
    assert order.total_amount == 10000 + 725  # free shipping over the fallback threshold


def test_same_checkout_token_twice_makes_one_order(shopper, vendor_a):
    va = sellable_variant(vendor_a, stock=5)
    _cart_with(shopper, (vendor_a, va, 1))
    first = services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="same")
    second = services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="same")
    assert first.pk == second.pk
    assert Order.objects.filter(buyer=shopper).count() == 1
    assert variant_stock(vendor_a, va.pk) == 4


def test_empty_cart_is_refused(shopper):
    with pytest.raises(CartEmpty):
        services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="x")


def test_out_of_stock_at_checkout_writes_nothing(shopper, vendor_a, vendor_b):
    va = sellable_variant(vendor_a, stock=5)
    vb = sellable_variant(vendor_b, stock=5)
    _cart_with(shopper, (vendor_a, va, 2), (vendor_b, vb, 3))
    variant_update(vendor_b, vb.pk, stock=2)  # someone else bought some meanwhile
    with pytest.raises(OutOfStock):
        services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="x")
    assert not Order.objects.exists() and not SubOrder.objects.exists()
    assert variant_stock(vendor_a, va.pk) == 5
    assert services.cart_for(user=shopper).items.count() == 2


def test_vendor_suspended_after_adding_to_cart_blocks_checkout(shopper, vendor_a):
    va = sellable_variant(vendor_a, stock=5)
    _cart_with(shopper, (vendor_a, va, 1))
    Vendor.objects.filter(pk=vendor_a.pk).update(status=Vendor.Status.SUSPENDED)
    with pytest.raises(VendorNotSelling):
        services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="x")
    assert not Order.objects.exists()
    assert variant_stock(vendor_a, va.pk) == 5


def test_price_change_is_shown_then_accepted_on_the_next_submit(shopper, vendor_a):
    va = sellable_variant(vendor_a, price=1000, stock=5)
    cart = _cart_with(shopper, (vendor_a, va, 1))
    variant_update(vendor_a, va.pk, price_amount=1200)
    review = services.cart_review(cart=cart, country="DE")
    assert [n.code for n in review.notices] == ["price_changed"]
    with pytest.raises(PriceChanged):
        services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="x")
    assert not Order.objects.exists()
    assert cart.items.get().unit_price_amount == 1200  # the cart now shows the new price
    order = services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="y")
    assert order.subtotal_amount == 1200


def test_product_archived_after_adding_blocks_checkout_with_a_clear_error(shopper, vendor_a):
    from orders.errors import ProductUnavailable

    va = sellable_variant(vendor_a, stock=5)
    cart = _cart_with(shopper, (vendor_a, va, 1))
    from django_tenants.utils import schema_context

    from catalog.models import Product

    with schema_context(vendor_a.store.schema_name):
        Product.objects.filter(pk=va.product_id).update(status=Product.Status.ARCHIVED)
    review = services.cart_review(cart=cart, country="DE")
    assert [n.code for n in review.notices] == ["product_unavailable"] and not review.can_checkout
    with pytest.raises(ProductUnavailable):
        services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="x")
    assert not Order.objects.exists()


def test_cart_refuses_more_than_stock_but_takes_a_second_currency(shopper, vendor_a, vendor_b):
    va = sellable_variant(vendor_a, stock=2)
    usd = sellable_variant(vendor_b, stock=2, currency="USD")
    cart = services.cart_for(user=shopper, create=True)
    with pytest.raises(OutOfStock):
        services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=va.pk, quantity=3)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=va.pk, quantity=2)
    # Vendors in different currencies share a cart: it is charged once in the buyer's currency.
    services.cart_item_add(cart=cart, vendor_id=vendor_b.pk, variant_id=usd.pk, quantity=1)
    assert sorted(cart.items.values_list("currency", flat=True)) == ["EUR", "USD"]


def test_reservation_expiry_is_scheduled_by_beat(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["orders-expire-reservations"]
    assert schedule["task"] == "orders.tasks.orders_expire_reservations"
    assert settings.ORDERS_RESERVATION_MINUTES == 15


def test_a_shipping_option_of_another_vendor_is_refused(shopper, vendor_a, vendor_b):
    from orders.errors import ShippingUnavailable

    va = sellable_variant(vendor_a, stock=2)
    other = shipping_rate(vendor_b, base_amount=1)
    _cart_with(shopper, (vendor_a, va, 1))
    with pytest.raises(ShippingUnavailable):
        services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={vendor_a.pk: other.pk},
                                 checkout_token="x")
    assert not Order.objects.exists()
