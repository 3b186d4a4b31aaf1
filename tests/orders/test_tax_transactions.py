"""Stripe Tax transactions of paid orders (docs/adr/0088): the checkout's calculation is recorded
once the order is paid (once, however often the task runs), a refund reverses its part, the whole
order reverses in full; orders priced by the data calculator never call Stripe Tax. The reversal
endpoint is the emulator's (shapes of fixtures3.json)."""

from __future__ import annotations

from typing import Any

import pytest

from orders.models import Order
from orders.tax_transactions import order_tax_transaction_record, order_tax_transaction_reverse
from payments import gateway
from payments.errors import InvalidGatewayRequest
from tests.factories.orders import paid_orders, sellable_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def emulator(gateway_on_emulator: Any) -> Any:
    return gateway_on_emulator


@pytest.fixture
def stripe_taxed_order(shopper, vendor_a, emulator, settings):
    settings.ORDERS_TAX_CALCULATOR = "orders.tax.StripeTaxCalculator"
    return paid_orders(shopper)((vendor_a, sellable_variant(vendor_a, price=11_900, stock=5), 1), copies=False)


def _transaction(transaction_id: str) -> Any:
    return gateway._client().v1.tax.transactions.retrieve(transaction_id)


def test_the_paid_order_is_recorded_as_a_tax_transaction_once(stripe_taxed_order):
    order = stripe_taxed_order
    assert order.tax_calculation_id.startswith("taxcalc_") and order.tax_transaction_id == ""
    first = order_tax_transaction_record(order_id=order.pk)
    again = order_tax_transaction_record(order_id=order.pk)
    assert first == again and first.startswith("tax_")
    order.refresh_from_db()
    assert order.tax_transaction_id == first
    recorded = _transaction(first)
    assert recorded.reference == f"order-{order.pk}" and recorded.type == "transaction"
    assert sum(line.amount_tax for line in recorded.line_items.data) == order.tax_amount


def test_an_unpaid_order_or_one_priced_by_the_data_rates_is_not_recorded(shopper, vendor_a, emulator):
    order = paid_orders(shopper)((vendor_a, sellable_variant(vendor_a, price=11_900, stock=5), 1), copies=False)
    assert order.tax_calculation_id == ""
    assert order_tax_transaction_record(order_id=order.pk) == ""
    assert order_tax_transaction_reverse(order_id=order.pk, refund_id="re_x", amount=100) == ""
    Order.objects.filter(pk=order.pk).update(tax_calculation_id="taxcalc_x", paid_at=None)
    assert order_tax_transaction_record(order_id=order.pk) == ""


def test_a_partial_refund_reverses_its_part_and_the_rest_can_be_reversed_once(stripe_taxed_order):
    order = stripe_taxed_order
    reversal_id = order_tax_transaction_reverse(order_id=order.pk, refund_id="re_1", amount=5_950)
    order.refresh_from_db()
    assert order.tax_transaction_id  # recorded first when the refund overtook the task
    reversal = _transaction(reversal_id)
    assert reversal.type == "reversal" and reversal.reversal.original_transaction == order.tax_transaction_id
    # Half of 119.00 with 19.00 VAT in it: −59.50 of which −9.50 tax.
    assert [(line.amount, line.amount_tax) for line in reversal.line_items.data] == [(-5_950, -950)]
    # A retried task gets the same reversal, not a second one.
    assert order_tax_transaction_reverse(order_id=order.pk, refund_id="re_1", amount=5_950) == reversal_id
    with pytest.raises(InvalidGatewayRequest):  # more than what is left
        order_tax_transaction_reverse(order_id=order.pk, refund_id="re_2", amount=6_000)
    assert order_tax_transaction_reverse(order_id=order.pk, refund_id="re_3", amount=5_950)


def test_refunding_the_whole_order_reverses_in_full(stripe_taxed_order):
    order = stripe_taxed_order
    reversal = _transaction(order_tax_transaction_reverse(order_id=order.pk, refund_id="re_all",
                                                          amount=order.total_amount))
    assert sum(line.amount for line in reversal.line_items.data) == -11_900
    assert sum(line.amount_tax for line in reversal.line_items.data) == -1_900
