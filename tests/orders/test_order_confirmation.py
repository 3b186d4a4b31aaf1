"""The order confirmation: items and totals per vendor, a delivery window per vendor, next steps;
and the delivery estimate's business-day arithmetic."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from orders.delivery import add_business_days, delivery_window
from tests.factories import OrderFactory
from tests.factories.orders import sellable_variant
from vendors.models import Vendor

pytestmark = pytest.mark.django_db

PLATFORM = "marketplace.localhost"


@pytest.fixture
def two_vendor_order(buyer, vendor_a, vendor_b):
    Vendor.objects.filter(pk=vendor_b.pk).update(country="FR")
    return OrderFactory(buyer=buyer, items=[
        (vendor_a, sellable_variant(vendor_a, price=1250, name="Linen apron"), 2),
        (vendor_b, sellable_variant(vendor_b, price=800, name="Beeswax candle"), 1),
    ])


def test_confirmation_lists_items_totals_and_delivery_per_vendor(client_for, buyer, two_vendor_order):
    order = two_vendor_order
    html = client_for(PLATFORM, buyer).get(f"/orders/{order.pk}/status/").content.decode()
    assert "Your order is confirmed" in html and "data-order-confirmation" in html
    assert "Linen apron" in html and "Beeswax candle" in html
    paid_on = timezone.localdate(order.paid_at)
    for sub in order.sub_orders.select_related("vendor"):
        section = html[html.index(f'data-vendor="{sub.vendor.slug}"'):]
        total = section[section.index("data-vendor-total>") + len("data-vendor-total>"):]
        assert total.startswith(f"{sub.total_amount / 100:,.2f} EUR")
        # The business days the vendor's method promised at checkout (the test default: 1 to
        # dispatch, 1-3 in transit), counted from payment.
        assert (sub.delivery_days_min, sub.delivery_days_max) == (2, 4)
        window = delivery_window(paid_on=paid_on, from_country=sub.vendor.country, to_country=order.ship_country,
                                 promised=(2, 4))
        assert (window.earliest, window.latest) == (add_business_days(paid_on, 2), add_business_days(paid_on, 4))
        assert f'data-delivery="{window.earliest:%Y-%m-%d}/{window.latest:%Y-%m-%d}"' in section
    assert sum(sub.total_amount for sub in order.sub_orders.all()) == order.total_amount
    assert f"data-order-total>{order.total_amount / 100:,.2f} EUR" in html
    assert "Each of the 2 sellers packs" in html
    assert f"We sent the receipt to {order.email}." in html


def test_return_page_shows_the_confirmation_once_paid(client_for, buyer, two_vendor_order):
    html = client_for(PLATFORM, buyer).get(f"/checkout/return/{two_vendor_order.pk}/").content.decode()
    assert "data-order-confirmation" in html and "Arrives between" in html


def test_unpaid_order_has_no_confirmation(client_for, buyer, vendor_a):
    order = OrderFactory(buyer=buyer, status="pending_payment",
                         items=[(vendor_a, sellable_variant(vendor_a, price=500), 1)])
    html = client_for(PLATFORM, buyer).get(f"/orders/{order.pk}/status/").content.decode()
    assert "data-order-confirmation" not in html and "Arrives between" not in html


def test_another_buyer_cannot_see_the_confirmation(client_for, two_vendor_order):
    from tests.factories import UserFactory

    other = client_for(PLATFORM, UserFactory())
    assert other.get(f"/orders/{two_vendor_order.pk}/status/").status_code == 404


def test_business_days_skip_weekends():
    friday = date(2026, 12, 4)
    assert add_business_days(friday, 1) == date(2026, 12, 7)  # Monday
    assert add_business_days(friday, 5) == date(2026, 12, 11)
    assert add_business_days(friday, 0) == friday


def test_delivery_window_grows_with_distance():
    monday = date(2026, 12, 7)
    home = delivery_window(paid_on=monday, from_country="DE", to_country="de")
    europe = delivery_window(paid_on=monday, from_country="DE", to_country="FR")
    world = delivery_window(paid_on=monday, from_country="DE", to_country="US")
    assert (home.distance, europe.distance, world.distance) == ("domestic", "europe", "world")
    assert (home.earliest, home.latest) == (date(2026, 12, 9), date(2026, 12, 14))  # 1+1 .. 2+3
    assert home.latest < europe.latest < world.latest
    assert world.earliest == date(2026, 12, 15)  # 1+5 business days: Tuesday to the next Tuesday
