"""Paying a Stripe-taxed order records its tax transaction through the real Celery worker (the
`order.paid` subscriber queues the task after commit), and a refunded part is reversed."""

from __future__ import annotations

import pytest

from orders.models import Order
from tests.factories.orders import paid_orders, sellable_variant
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_paying_a_stripe_taxed_order_records_its_tax_transaction_in_the_worker(
        task_worker, gateway_on_emulator, shopper, vendor_a, settings):
    settings.ORDERS_TAX_CALCULATOR = "orders.tax.StripeTaxCalculator"
    order = paid_orders(shopper)((vendor_a, sellable_variant(vendor_a, price=11_900, stock=5), 1), copies=False)
    assert order.tax_calculation_id

    def recorded() -> str:
        return Order.objects.filter(pk=order.pk).values_list("tax_transaction_id", flat=True).get()

    transaction_id = wait_until(recorded, message="the order's tax transaction recorded by the worker")
    assert transaction_id.startswith("tax_")
