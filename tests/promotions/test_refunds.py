"""Refunding a discounted line gives back what the buyer paid for it, pro rata, and the vendor gives
back the platform-funded discount on the refunded part (docs/adr/0094)."""

from __future__ import annotations

import pytest

from fulfillment import services as fulfillment
from fulfillment.models import VendorOrder
from orders import services
from orders.discounts import discount_code_apply
from payouts.ledger.postings import platform_discount_in_refund
from payouts.ledger.selectors import balances_by_code, unbalanced_entries
from payouts.models import AccountCode
from tests.factories.orders import order_pay, sellable_variant, shipping_rate, vendor_order_copies
from tests.promotions.helpers import platform_coupon
from tests.support.addresses import ADDRESS_DE

pytestmark = pytest.mark.django_db


def test_a_cancelled_unit_refunds_its_discounted_price_and_claws_back_the_platform_funding(
        shopper, vendor_a, in_schema, gateway_on_emulator):
    shipping_rate(vendor_a, base_amount=490)
    variant = sellable_variant(vendor_a, price=2000, stock=5)
    platform_coupon("QUARTER", percent_bp=2500)
    cart = services.cart_for(user=shopper, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=variant.pk, quantity=2)
    discount_code_apply(cart=cart, code="QUARTER")
    order = order_pay(services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={},
                                               checkout_token="refund"), payment="emulator")
    vendor_order_copies(order)
    sub = order.sub_orders.get()
    assert (sub.discount_amount, sub.platform_discount_amount) == (1000, 1000)
    assert balances_by_code(currency="EUR")[AccountCode.PLATFORM_DISCOUNTS] == 1000

    with in_schema(vendor_a):
        copy = VendorOrder.objects.get(sub_order_id=sub.pk)
        line = copy.lines.get()
        assert line.discount_amount == 1000
        fulfillment.vendor_order_line_cancel(vendor_order_id=copy.pk, line_id=line.pk, quantity=1)
        line.refresh_from_db()

    assert line.refunded_amount == 1500  # half of the 30.00 paid for two, not half of 40.00
    clawed = platform_discount_in_refund(platform_discount=1000, total=sub.total_amount, amount=1500)
    assert 0 < clawed < 1000
    assert balances_by_code(currency="EUR")[AccountCode.PLATFORM_DISCOUNTS] == 1000 - clawed
    assert unbalanced_entries() == []


def test_refunds_in_parts_never_give_back_more_platform_funding_than_was_funded():
    total, funded = 3490, 1000
    parts = [1, 499, 1000, 990, 1000]
    assert sum(parts) == total
    assert sum(platform_discount_in_refund(platform_discount=funded, total=total, amount=p) for p in parts) <= funded
    assert platform_discount_in_refund(platform_discount=funded, total=total, amount=total) == funded
