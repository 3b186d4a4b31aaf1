"""The SQL cost of one checkout is pinned: no query per line or per rule may creep back in.

Before the cut (docs/adr/0037-checkout-benchmark.md) a two-vendor, three-line checkout ran 49
statements (one rule query per line, ORM saves per sub-order, lines re-read, a stock SELECT after
each UPDATE…); now 36. A line more or a vendor more must only add the work that line or vendor needs.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders import services
from orders.models import Order
from payouts.models import CommissionRule
from tests.factories import UserFactory
from tests.factories.orders import sellable_variant, shipping_rate, variant_stock
from tests.support.addresses import ADDRESS_DE

pytestmark = pytest.mark.django_db

# Every statement, SET search_path and SAVEPOINT included. Raise it only with a reason.
# 37: the order's first event, "placed" (one INSERT; docs/adr/0041).
# 38: the stock-hoarding guard counts the buyer's unpaid and paid orders (one SELECT; docs/adr/0046).
# 40: the velocity rules count this hour's orders, and the cards and failed payments on them, per
#     buyer and address (two SELECTs, whatever the subjects; docs/adr/0045).
# 43: each vendor's shipping table is read in its own schema: a search_path switch and the table's
#     revision per vendor, the table itself from the cache, instead of one public rates query
#     (docs/adr/0081).
# 45: the units reserved are taken from each vendor's stock locations (one UPDATE per vendor;
#     docs/adr/0082).
# 47: each vendor's outbox snapshot of the products whose stock changed carries their translations
#     (one prefetch SELECT per vendor; translations branch, docs/adr/0089).
# 48: the promotions that may apply to the cart (its vendors' running sales and the cart's code)
#     are read once per pricing (one SELECT, whatever the lines; docs/adr/0094).
TWO_VENDORS_THREE_LINES = 48


def _checkout(user, *items):
    cart = services.cart_for(user=user, create=True)
    for vendor, variant, quantity in items:
        services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=quantity)
    with CaptureQueriesContext(connection) as queries:
        order = services.checkout_submit(user=user, address=ADDRESS_DE, shipping_choice={},
                                         checkout_token=f"q-{user.pk}")
    return order, queries


def test_a_two_vendor_checkout_runs_a_fixed_number_of_queries(vendor_a, vendor_b):
    CommissionRule.objects.create(scope=CommissionRule.Scope.PLATFORM, currency="EUR", rate_bp=1000,
                                  valid_from=timezone.now() - dt.timedelta(days=1))
    shipping_rate(vendor_a, base_amount=490)
    a1 = sellable_variant(vendor_a, price=1190, stock=50)
    a2 = sellable_variant(vendor_a, price=2000, stock=50)
    b1 = sellable_variant(vendor_b, price=700, stock=50)
    warm = UserFactory(email="warm@example.com")
    _checkout(warm, (vendor_a, a1, 1), (vendor_b, b1, 1))  # content types, sequences, caches

    buyer = UserFactory(email="queries@example.com")
    order, queries = _checkout(buyer, (vendor_a, a1, 2), (vendor_a, a2, 1), (vendor_b, b1, 1))

    assert len(queries.captured_queries) <= TWO_VENDORS_THREE_LINES, "\n".join(
        q["sql"][:160] for q in queries.captured_queries
    )
    # …and the work is all there: lines, sub-orders, commission snapshot, stock in both schemas.
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.lines.count() == 3
    assert order.sub_orders.count() == 2
    assert all(line.commission_rule_id is not None for line in order.lines.all())
    assert variant_stock(vendor_a, a1.pk) == 50 - 1 - 2
    assert variant_stock(vendor_b, b1.pk) == 50 - 1 - 1


def test_a_third_line_of_a_vendor_adds_only_its_stock_update(vendor_a, vendor_b):
    shipping_rate(vendor_a, base_amount=490)
    variants = [sellable_variant(vendor_a, price=1000 + i, stock=50) for i in range(4)]
    b1 = sellable_variant(vendor_b, price=700, stock=50)
    warm = UserFactory(email="warm@example.com")
    _checkout(warm, (vendor_a, variants[0], 1), (vendor_b, b1, 1))

    _order, two = _checkout(UserFactory(email="two@example.com"),
                            (vendor_a, variants[0], 1), (vendor_a, variants[1], 1), (vendor_b, b1, 1))
    _order, four = _checkout(UserFactory(email="four@example.com"),
                             *[(vendor_a, v, 1) for v in variants], (vendor_b, b1, 1))
    assert len(four.captured_queries) - len(two.captured_queries) == 2  # one UPDATE … RETURNING each
