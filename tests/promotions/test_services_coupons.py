"""Coupons and sales from the cart to the ledger (docs/adr/0094): each bad code refused with its
own reason and nothing changed, the discount snapshotted on the order, commissions and transfers
by who funds it, uses counted per order and given back when its payment fails."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from orders import services
from orders.discounts import discount_code_apply, discount_code_remove
from orders.models import Order
from payouts.ledger.selectors import balances_by_code, unbalanced_entries
from payouts.models import AccountCode
from promotions.errors import CouponExhausted, CouponInvalid, PromotionInvalid
from promotions.models import CartCoupon, Promotion, Redemption
from tests.factories import UserFactory
from tests.factories.orders import order_pay, sellable_variant, shipping_rate
from tests.promotions.helpers import platform_coupon, vendor_promotion
from tests.support.addresses import ADDRESS_DE

pytestmark = pytest.mark.django_db


def _cart(user, *items):
    cart = services.cart_for(user=user, create=True)
    for vendor, variant, quantity in items:
        services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=quantity)
    return cart


def _checkout(user, token="t1"):
    return services.checkout_submit(user=user, address=ADDRESS_DE, shipping_choice={}, checkout_token=token)


def _refused(cart, code):
    with pytest.raises(CouponInvalid) as caught:
        discount_code_apply(cart=cart, code=code)
    return caught.value


def test_each_unusable_code_is_refused_with_its_own_reason_and_the_cart_keeps_its_code(shopper, vendor_a, vendor_b):
    variant = sellable_variant(vendor_a, price=2000, stock=10)
    cart = _cart(shopper, (vendor_a, variant, 1))
    good = platform_coupon("GOOD5", amount=500)
    discount_code_apply(cart=cart, code="good5")  # any case
    now = timezone.now()
    platform_coupon("OLD", percent_bp=1000, starts_at=now - dt.timedelta(days=9), ends_at=now - dt.timedelta(days=1))
    platform_coupon("SOON", percent_bp=1000, starts_at=now + dt.timedelta(days=1))
    Promotion.objects.filter(pk=platform_coupon("GONE", percent_bp=1000, max_uses=1).pk).update(uses_count=1)
    vendor_promotion(vendor_b, "BONLY", percent_bp=1000)
    platform_coupon("BSTORE", percent_bp=1000, vendor_ids=(vendor_b.pk,))
    platform_coupon("BIG", amount=500, min_order_amount=5000)
    platform_coupon("POUNDS", amount=500, currency="GBP")

    reasons = {code: _refused(cart, code) for code in
               ["", "NOPE", "OLD", "SOON", "GONE", "BONLY", "BSTORE", "BIG", "POUNDS", "bad code!"]}

    assert {code: error.code for code, error in reasons.items()} == {
        "": "coupon_required", "NOPE": "coupon_unknown", "OLD": "coupon_expired", "SOON": "coupon_not_started",
        "GONE": "coupon_exhausted", "BONLY": "coupon_other_vendor", "BSTORE": "coupon_not_for_items",
        "BIG": "coupon_below_minimum", "POUNDS": "coupon_wrong_currency", "bad code!": "coupon_unknown",
    }
    assert vendor_b.name in reasons["BONLY"].message
    assert "50" in reasons["BIG"].message  # the minimum, in money
    assert all(error.fields["code"] for error in reasons.values())
    assert CartCoupon.objects.get(cart=cart).promotion == good  # nothing applied half


def test_a_buyer_cannot_use_a_code_twice_when_it_allows_one_use_each(shopper, vendor_a):
    variant = sellable_variant(vendor_a, price=2000, stock=10)
    platform_coupon("ONCE", percent_bp=1000, max_uses_per_buyer=1)
    discount_code_apply(cart=_cart(shopper, (vendor_a, variant, 1)), code="ONCE")
    first = _checkout(shopper, "first")
    assert first.discount_amount == 200

    error = _refused(_cart(shopper, (vendor_a, variant, 1)), "ONCE")
    assert error.code == "coupon_already_used"
    other = UserFactory(email="other@example.com")
    discount_code_apply(cart=_cart(other, (vendor_a, variant, 1)), code="ONCE")  # another buyer may


def test_a_vendor_funded_sale_lowers_the_vendor_sale_and_the_commission_on_it(shopper, vendor_a, vendor_b):
    shipping_rate(vendor_a, base_amount=490)
    on_sale = sellable_variant(vendor_a, price=10000, stock=5)
    other = sellable_variant(vendor_b, price=3000, stock=5)
    vendor_promotion(vendor_a, percent_bp=2500, product_ids=(on_sale.product_id,))  # automatic: no code
    _cart(shopper, (vendor_a, on_sale, 1), (vendor_b, other, 1))

    order = order_pay(_checkout(shopper))

    line = order.lines.get(variant_id=on_sale.pk, vendor=vendor_a)
    assert (line.line_amount, line.discount_amount, line.platform_discount_amount) == (10000, 2500, 0)
    assert line.discount_label == f"Sale of {vendor_a.slug}"
    assert line.commission_amount == 750  # the flat 10 % of the discounted 75.00
    sub_a = order.sub_orders.get(vendor=vendor_a)
    assert sub_a.total_amount == 7500 + 490
    assert sub_a.net_amount == sub_a.total_amount - sub_a.commission_amount
    assert order.discount_amount == 2500
    assert order.total_amount == 10000 + 3000 - 2500 + 490 + sum(
        s.shipping_amount for s in order.sub_orders.exclude(vendor=vendor_a))
    assert balances_by_code(currency="EUR").get(AccountCode.PLATFORM_DISCOUNTS, 0) == 0
    assert Redemption.objects.get(order=order).status == Redemption.Status.REDEEMED
    assert unbalanced_entries() == []


def test_a_platform_coupon_is_paid_by_the_platform_and_the_vendor_is_paid_as_if_undiscounted(shopper, vendor_a):
    variant = sellable_variant(vendor_a, price=10000, stock=5)
    coupon = platform_coupon("PLAT20", percent_bp=2000)
    discount_code_apply(cart=_cart(shopper, (vendor_a, variant, 1)), code="PLAT20")

    order = order_pay(_checkout(shopper))

    line = order.lines.get()
    assert (line.discount_amount, line.platform_discount_amount, line.discount_label) == (2000, 2000, "PLAT20")
    assert line.commission_amount == 1000  # on the undiscounted 100.00
    sub = order.sub_orders.get()
    assert sub.total_amount == 8000 + sub.shipping_amount
    assert sub.net_amount == sub.total_amount + 2000 - 1000  # what its transfer carries
    platform = balances_by_code(currency="EUR")
    assert platform[AccountCode.PLATFORM_DISCOUNTS] == 2000  # an expense of the platform
    vendor = balances_by_code(currency="EUR", vendor_id=vendor_a.pk)
    assert vendor[AccountCode.VENDOR_PENDING] == -sub.net_amount
    assert unbalanced_entries() == []
    coupon.refresh_from_db()
    assert coupon.uses_count == 1
    assert not CartCoupon.objects.exists()  # the code went with the order


def test_a_failed_payment_gives_the_use_back_and_a_late_payment_takes_it_again(shopper, vendor_a):
    variant = sellable_variant(vendor_a, price=5000, stock=5)
    coupon = platform_coupon("LAST", amount=1000, max_uses=1)
    discount_code_apply(cart=_cart(shopper, (vendor_a, variant, 1)), code="LAST")
    order = _checkout(shopper)
    coupon.refresh_from_db()
    assert coupon.uses_count == 1

    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - dt.timedelta(minutes=1))
    assert services.order_expire(order_id=order.pk)

    coupon.refresh_from_db()
    assert coupon.uses_count == 0
    assert Redemption.objects.get(order=order).status == Redemption.Status.RELEASED
    order_pay(order)  # the payment arrived after all: the buyer was charged the discounted price
    coupon.refresh_from_db()
    assert coupon.uses_count == 1
    assert Redemption.objects.get(order=order).status == Redemption.Status.REDEEMED


def test_a_code_used_up_during_checkout_refuses_the_whole_checkout(shopper, vendor_a):
    variant = sellable_variant(vendor_a, price=5000, stock=5)
    coupon = platform_coupon("RACE", amount=1000, max_uses=1)
    cart = _cart(shopper, (vendor_a, variant, 1))
    discount_code_apply(cart=cart, code="RACE")
    Promotion.objects.filter(pk=coupon.pk).update(uses_count=1)  # another buyer's order took it

    review = services.cart_review(cart=cart, country="DE")
    assert review.code is not None and review.code.problem_code == "coupon_exhausted"
    assert review.priced is not None and review.priced.discount == 0  # shown without it
    order = _checkout(shopper)  # priced without the code: it no longer applies
    assert order.discount_amount == 0
    assert not Redemption.objects.exists()


def test_redeeming_a_promotion_ended_meanwhile_rolls_the_checkout_back(shopper, vendor_a):
    """The lock-and-recheck inside the checkout's transaction: nothing created, stock untouched."""
    from orders.discounts import discounts_redeem
    from orders.services.review import cart_review

    variant = sellable_variant(vendor_a, price=5000, stock=5)
    coupon = platform_coupon("SHUT", amount=1000, max_uses=5)
    cart = _cart(shopper, (vendor_a, variant, 1))
    discount_code_apply(cart=cart, code="SHUT")
    priced = cart_review(cart=cart, country="DE").priced
    order = _checkout(shopper, "placed")  # a real order to attach the use to
    Promotion.objects.filter(pk=coupon.pk).update(active=False)
    with pytest.raises(CouponExhausted):
        discounts_redeem(order=order, priced=priced, cart=None)
    assert Redemption.objects.filter(order=order).count() == 1  # only the checkout's own


def test_removing_the_code_prices_the_cart_without_it(shopper, vendor_a):
    variant = sellable_variant(vendor_a, price=5000, stock=5)
    platform_coupon("OFF", amount=700)
    cart = _cart(shopper, (vendor_a, variant, 1))
    discount_code_apply(cart=cart, code="OFF")
    assert services.cart_review(cart=cart, country="DE").priced.discount == 700
    discount_code_remove(cart=cart)
    review = services.cart_review(cart=cart, country="DE")
    assert review.priced.discount == 0 and review.code is None


def test_a_store_cannot_scope_its_promotion_to_other_stores_and_codes_are_unique(vendor_a, vendor_b):
    with pytest.raises(PromotionInvalid):
        vendor_promotion(vendor_a, "MINE", percent_bp=1000, vendor_ids=(vendor_b.pk,))
    vendor_promotion(vendor_a, "MINE", percent_bp=1000)
    with pytest.raises(PromotionInvalid) as caught:
        vendor_promotion(vendor_b, "mine", percent_bp=1000)
    assert caught.value.code == "promotion_code_taken"
    with pytest.raises(PromotionInvalid) as caught:
        platform_coupon("HALF", percent_bp=20000)
    assert "percent" in caught.value.fields
