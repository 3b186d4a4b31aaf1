"""Property through the database: whatever the cart, the order, its parts and the DB constraints
agree with the amount charged (the PaymentIntent is created for `total_amount`)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders import services
from orders.addresses import Address
from orders.models import Order, OrderLine
from tests.factories import UserFactory
from tests.factories.orders import sellable_variant, shipping_rate

pytestmark = pytest.mark.django_db

ADDRESSES = [
    Address("B", "Main 1", "", "Berlin", "", "10115", "DE"),
    Address("B", "Main 1", "", "SF", "CA", "94103", "US"),
    Address("B", "Main 1", "", "Paris", "", "75001", "FR"),
]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(st.tuples(st.booleans(), st.integers(1, 99_999), st.integers(1, 5),
                                st.sampled_from(["standard", "books", "exempt"])), min_size=1, max_size=5),
       address=st.sampled_from(ADDRESSES), weight_rate=st.booleans())
def test_checkout_total_is_exactly_lines_tax_shipping_and_splits(vendor_a, vendor_b, items, address, weight_rate):
    buyer = UserFactory()
    shipping_rate(vendor_a, kind="weight" if weight_rate else "flat", base_amount=390, per_kg_amount=120,
                  free_over_amount=20_000)
    cart = services.cart_for(user=buyer, create=True)
    for use_b, price, quantity, category in items:
        vendor = vendor_b if use_b else vendor_a
        variant = sellable_variant(vendor, price=price, stock=10, tax_category=category, weight_grams=price % 3000)
        services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=quantity)
    order = services.checkout_submit(user=buyer, address=address, shipping_choice={}, checkout_token="p")
    order = Order.objects.get(pk=order.pk)
    lines = list(OrderLine.objects.filter(order=order))
    subs = list(order.sub_orders.all())
    added_tax = order.tax_amount if order.tax_display == "exclusive" else 0
    assert order.total_amount == sum(line.line_amount for line in lines) + sum(s.shipping_amount for s in subs) + added_tax
    assert order.total_amount == sum(s.total_amount for s in subs) == sum(s.net_amount + s.commission_amount for s in subs)
    assert order.commission_amount == sum(line.commission_amount for line in lines)
    assert order.tax_amount == sum(line.tax_amount for line in lines)
