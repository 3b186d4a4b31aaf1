"""Sold out between the cart's review and the reservation, in that order, without threads.

The checkout reviews the cart (stock is there), then another order takes the units, then it
reserves: the conditional decrement must answer "sold out" (the domain error), before the
database's CHECK on stock would have to, and nothing of this order may remain.

The other order's take runs inside the checkout's transaction (the only way to put it exactly
there without a second thread), so the refusal rolls it back too: what it left at the moment of
the reservation is recorded when it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from catalog.models import StockAdjustment
from catalog.services import stock_reserve
from orders import services
from orders.errors import OutOfStock
from orders.models import Order, OrderLine, SubOrder
from orders.services import checkout as checkout_module
from tests.factories.orders import sellable_variant, variant_stock
from tests.support.addresses import ADDRESS_DE

pytestmark = pytest.mark.django_db


@pytest.fixture
def sold_after_review(monkeypatch: pytest.MonkeyPatch) -> Callable[[Any, Any, int], list[str]]:
    """`sold_after_review(vendor, variant, quantity)`: once the checkout has reviewed the cart and
    passed its limits, and before it reserves, another order takes `quantity` units through the
    same reservation service. Returns the log of what happened, in order."""

    def arrange(vendor: Any, variant: Any, quantity: int) -> list[str]:
        happened: list[str] = []
        real_check = checkout_module.velocity_checkout_check

        def check_then_someone_else_buys(**kwargs: Any) -> None:
            real_check(**kwargs)  # the last step between the review and the reservation
            happened.append("reviewed")
            with schema_context(vendor.store.schema_name):
                left = stock_reserve(lines=[(variant.pk, quantity)], note="order OTHER-1 reserved")[variant.pk]
            happened.append(f"another order took {quantity}, {left} left")

        monkeypatch.setattr(checkout_module, "velocity_checkout_check", check_then_someone_else_buys)
        return happened

    return arrange


def _cart_with(shopper: Any, *items: tuple[Any, Any, int]) -> Any:
    cart = services.cart_for(user=shopper, create=True)
    for vendor, variant, quantity in items:
        services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=quantity)
    return cart


def _sold_notes(vendor: Any, variant: Any) -> list[str]:
    with schema_context(vendor.store.schema_name):
        return list(StockAdjustment.objects.filter(variant_id=variant.pk, reason="sold")
                    .order_by("pk").values_list("note", flat=True))


def test_last_units_sold_after_review_refuse_the_checkout_and_leave_no_trace(shopper, vendor_a, sold_after_review):
    variant = sellable_variant(vendor_a, price=1500, stock=3, name="Last Lantern")
    cart = _cart_with(shopper, (vendor_a, variant, 2))
    assert services.cart_review(cart=cart, country="DE").can_checkout
    happened = sold_after_review(vendor_a, variant, 3)

    with pytest.raises(OutOfStock, match="Last Lantern sold out while you were checking out"):
        services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="late")

    assert happened == ["reviewed", "another order took 3, 0 left"]  # the review passed, then the stock went
    assert variant_stock(vendor_a, variant.pk) == 3 and _sold_notes(vendor_a, variant) == []
    assert not Order.objects.filter(buyer=shopper).exists()
    assert not SubOrder.objects.filter(order__buyer=shopper).exists()
    assert not OrderLine.objects.filter(order__buyer=shopper).exists()
    assert list(cart.items.values_list("variant_id", "quantity")) == [(variant.pk, 2)]  # kept to fix


def test_one_vendor_short_after_review_gives_back_what_the_other_vendor_reserved(
        shopper, vendor_a, vendor_b, sold_after_review):
    alpha = sellable_variant(vendor_a, price=1000, stock=5)
    bravo = sellable_variant(vendor_b, price=2000, stock=4, name="Bravo Bell")
    _cart_with(shopper, (vendor_a, alpha, 2), (vendor_b, bravo, 3))
    happened = sold_after_review(vendor_b, bravo, 2)  # 2 of 4 left: fewer than the 3 wanted, not zero

    with pytest.raises(OutOfStock, match="Bravo Bell sold out"):
        services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="short")

    assert happened == ["reviewed", "another order took 2, 2 left"]
    # Vendor A's schema comes first in the reservation order: its take was undone with the order.
    assert variant_stock(vendor_a, alpha.pk) == 5 and _sold_notes(vendor_a, alpha) == []
    assert variant_stock(vendor_b, bravo.pk) == 4 and _sold_notes(vendor_b, bravo) == []
    assert not Order.objects.filter(buyer=shopper).exists()


def test_the_api_answers_409_out_of_stock_naming_the_item(shopper, vendor_a, sold_after_review):
    variant = sellable_variant(vendor_a, price=1500, stock=1, name="Only Lantern")
    api = APIClient(HTTP_HOST="marketplace.localhost")
    api.force_authenticate(shopper)
    assert api.post("/api/v1/cart/items/", {"vendor_id": vendor_a.pk, "variant_id": variant.pk},
                    format="json").status_code == 201
    happened = sold_after_review(vendor_a, variant, 1)

    response = api.post("/api/v1/checkout/", {"address": {"name": "Bea", "line1": "Main 1", "city": "Berlin",
                                                          "postal_code": "10115", "country": "DE"}},
                        format="json", HTTP_IDEMPOTENCY_KEY="late-api")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "out_of_stock"
    assert response.json()["error"]["fields"] == {"items": ["Only Lantern"]}
    assert happened == ["reviewed", "another order took 1, 0 left"]
    assert not Order.objects.filter(buyer=shopper).exists()
    assert variant_stock(vendor_a, variant.pk) == 1


def _levels(vendor: Any, variant: Any) -> dict[str, int]:
    from catalog.models import StockLevel

    with schema_context(vendor.store.schema_name):
        return dict(StockLevel.objects.filter(variant_id=variant.pk, quantity__gt=0)
                    .values_list("location__name", "quantity"))


def test_stock_at_two_locations_sold_after_review_refuses_and_every_level_is_back(
        shopper, vendor_a, sold_after_review):
    """The last units split over two warehouses (docs/adr/0082): the other order takes units from
    both, the checkout is refused and, the transaction undone, each location holds what it held."""
    from catalog.models import Variant
    from catalog.services import stock_adjust, stock_location_create

    variant = sellable_variant(vendor_a, price=1500, stock=1, name="Split Lantern")
    with schema_context(vendor_a.store.schema_name):
        lyon = stock_location_create(name="Lyon", country="FR", priority=10)
        stock_adjust(variant=Variant.objects.get(pk=variant.pk), delta=2, reason="received", location=lyon)
    _cart_with(shopper, (vendor_a, variant, 2))
    happened = sold_after_review(vendor_a, variant, 2)  # 1 from the default, 1 from Lyon: 1 left

    with pytest.raises(OutOfStock, match="Split Lantern sold out"):
        services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={}, checkout_token="split")

    assert happened == ["reviewed", "another order took 2, 1 left"]
    assert variant_stock(vendor_a, variant.pk) == 3 and _levels(vendor_a, variant) == {"Main warehouse": 1, "Lyon": 2}
    assert not Order.objects.filter(buyer=shopper).exists()
