"""Reviews fixtures: a received (shipped) order line of vendor A, its listing, media in tmp."""

from __future__ import annotations

from typing import Any

import pytest

from orders.models import Order
from tests.e2e.journeys import publish_listing
from tests.factories import OrderFactory
from tests.factories.orders import sellable_variant


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "public"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def lamp(vendor_a: Any) -> Any:
    """A product of vendor A with its marketplace listing."""
    variant = sellable_variant(vendor_a, price=4900, stock=20, name="Aurora Desk Lamp")
    return publish_listing(vendor_a, variant), variant


@pytest.fixture
def received_line(buyer: Any, vendor_a: Any, lamp: Any) -> Any:
    """An order line of `buyer` for the lamp whose sub-order has shipped."""
    _listing, variant = lamp
    order = OrderFactory(buyer=buyer, items=[(vendor_a, variant, 1)], status=Order.Status.FULFILLED)
    return order.lines.get()


@pytest.fixture
def shipped_line_for() -> Any:
    """`shipped_line_for(user, vendor, variant)`: another received line."""

    def make(user: Any, vendor: Any, variant: Any) -> Any:
        return OrderFactory(buyer=user, items=[(vendor, variant, 1)], status=Order.Status.FULFILLED).lines.get()

    return make
