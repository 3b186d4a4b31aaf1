"""The demo money seed: paid orders, transfers and a payout that reconcile to zero, idempotently."""

from __future__ import annotations

import pytest

from orders.models import Order
from payouts.demo import demo_money_seed
from payouts.models import CommissionRule, Payout, Transfer
from payouts.reconciliation import reconcile

pytestmark = pytest.mark.django_db


def test_demo_money_reconciles_to_zero(emulator, vendor_a, vendor_b):
    from tests.factories import UserFactory
    from tests.factories.orders import sellable_variant

    UserFactory(email="buyer@example.com")
    sellable_variant(vendor_a, price=2500, stock=50)
    sellable_variant(vendor_b, price=1200, stock=50)
    result = demo_money_seed(orders=3)
    assert result["orders"] == 3
    assert CommissionRule.objects.filter(scope="platform", currency="EUR", rate_bp=1000).exists()
    paid = Order.objects.filter(checkout_token__startswith="demo-money-", paid_at__isnull=False)
    assert paid.count() == 3
    assert Transfer.objects.filter(order__in=paid, status="transferred").count() == Transfer.objects.filter(
        order__in=paid).count() >= 3
    assert Payout.objects.filter(status="paid").count() == 1
    report = reconcile()
    assert report.mismatches == [], [m.as_dict() for m in report.mismatches]
    assert demo_money_seed(orders=3)["orders"] == 0
