"""Buyers race for a code's last uses: real threads, one PostgreSQL connection each, never more
uses than the code allows (docs/adr/0094)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from orders import services
from orders.discounts import discount_code_apply
from orders.models import Order
from promotions.errors import CouponExhausted
from promotions.models import Redemption
from tests.factories import UserFactory
from tests.factories.orders import sellable_variant
from tests.promotions.helpers import platform_coupon
from tests.support.addresses import ADDRESS_DE

BUYERS = 8
USES = 3

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_checkouts_never_redeem_a_code_more_often_than_it_allows(vendor_a, vendor_b):
    variant = sellable_variant(vendor_a, price=4000, stock=100)
    coupon = platform_coupon("FIRST3", amount=1000, max_uses=USES)
    buyers = [UserFactory(email=f"coupon-racer{i}@example.com") for i in range(BUYERS)]
    for buyer in buyers:
        cart = services.cart_for(user=buyer, create=True)
        services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=variant.pk, quantity=1)
        discount_code_apply(cart=cart, code="FIRST3")  # every buyer holds the code before the race

    barrier = threading.Barrier(BUYERS)
    outcomes: dict[int, str] = {}
    lock = threading.Lock()

    def race(buyer) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                order = services.checkout_submit(user=buyer, address=ADDRESS_DE, shipping_choice={},
                                                 checkout_token=f"coupon-race-{buyer.pk}")
                outcome = "discounted" if order.discount_amount else "full_price"
            except CouponExhausted:
                outcome = "refused"
            except Exception as exc:  # any other failure is the finding
                outcome = f"error: {exc!r}"
            with lock:
                outcomes[buyer.pk] = outcome
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(buyer,)) for buyer in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(set(outcomes.values()) - {"discounted", "full_price", "refused"}) == []
    assert list(outcomes.values()).count("discounted") == USES
    coupon.refresh_from_db()
    assert coupon.uses_count == USES
    assert Redemption.objects.filter(promotion=coupon).count() == USES
    assert Order.objects.filter(discount_amount__gt=0).count() == USES
    assert set(Redemption.objects.values_list("order__buyer_id", flat=True)) <= set(outcomes)
