"""Many buyers race for the last units: real threads, one PostgreSQL connection each, no oversell."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from orders import services
from orders.errors import OutOfStock
from orders.models import Order, OrderLine
from tests.factories import UserFactory
from tests.factories.orders import sellable_variant, variant_stock
from tests.support.addresses import ADDRESS_DE

BUYERS = 24
STOCK = 7

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_buyers_never_oversell_the_last_units(vendor_a, vendor_b):
    scarce = sellable_variant(vendor_a, price=5000, stock=STOCK, name="Last Lamps")
    plenty = sellable_variant(vendor_b, price=700, stock=1000, name="Mugs")
    buyers = [UserFactory(email=f"racer{i}@example.com") for i in range(BUYERS)]
    for index, buyer in enumerate(buyers):
        cart = services.cart_for(user=buyer, create=True)
        # Some want two of the scarce item, all take a second vendor's item too (two schemas).
        services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=scarce.pk, quantity=1 + index % 2)
        services.cart_item_add(cart=cart, vendor_id=vendor_b.pk, variant_id=plenty.pk, quantity=1)

    barrier = threading.Barrier(BUYERS)
    outcomes: dict[int, str] = {}
    durations: list[float] = []
    lock = threading.Lock()

    def race(buyer) -> None:
        try:
            barrier.wait(timeout=30)
            started = time.perf_counter()
            try:
                services.checkout_submit(user=buyer, address=ADDRESS_DE, shipping_choice={},
                                         checkout_token=f"race-{buyer.pk}")
                outcome = "ordered"
            except OutOfStock:
                outcome = "out_of_stock"
            except Exception as exc:
                outcome = f"error: {type(exc).__name__}: {exc}"
            with lock:
                outcomes[buyer.pk] = outcome
                durations.append(time.perf_counter() - started)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(buyer,)) for buyer in buyers]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    wall = time.perf_counter() - started

    assert len(outcomes) == BUYERS
    assert not [o for o in outcomes.values() if o.startswith("error")], outcomes
    sold = sum(OrderLine.objects.filter(variant_id=scarce.pk, vendor=vendor_a).values_list("quantity", flat=True))
    remaining = variant_stock(vendor_a, scarce.pk)
    assert remaining >= 0
    assert sold + remaining == STOCK  # every unit is either sold once or still there
    ordered = [pk for pk, o in outcomes.items() if o == "ordered"]
    assert Order.objects.count() == len(ordered) > 0
    # A losing buyer left nothing behind: no order, the other vendor's stock untouched for them.
    assert variant_stock(vendor_b, plenty.pk) == 1000 - len(ordered)
    # Nobody who lost could have been served: each refused buyer asked for more than is left.
    asks = {buyer.pk: 1 + index % 2 for index, buyer in enumerate(buyers)}
    assert all(asks[pk] > remaining for pk, o in outcomes.items() if o == "out_of_stock")
    with schema_context(vendor_a.store.schema_name):
        from catalog.models import StockAdjustment

        assert -sum(StockAdjustment.objects.filter(variant_id=scarce.pk, reason="sold").values_list("delta", flat=True)) == sold
    print(f"\noversell race: {BUYERS} buyers, stock {STOCK}: {len(ordered)} orders, {sold} units sold, "
          f"{remaining} left, {BUYERS - len(ordered)} refused; wall {wall:.2f}s, "
          f"slowest checkout {max(durations) * 1000:.0f} ms")
