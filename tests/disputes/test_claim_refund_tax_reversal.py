"""A claim refund of an order Stripe Tax priced gives back its part of the order's tax transaction
(docs/adr/0088), as the vendor's and support's refunds do through their `sub_order.refund` event:
the reversal task is queued, named, for this Stripe refund and amount, and running it reverses
exactly that part. An order the data rates priced queues no reversal."""

from __future__ import annotations

import pytest
from django.db import transaction

from disputes import services
from disputes.models import Claim
from disputes.services.refunds import claim_refund_issue
from orders.tax_transactions import order_tax_transaction_reverse
from payments import gateway
from tests.factories.orders import paid_orders, sellable_variant
from tests.support.queued import queued_tasks

pytestmark = pytest.mark.django_db

REVERSE = "orders.tasks.order_tax_transaction_reverse_task"


@pytest.fixture
def emulator(gateway_on_emulator):
    return gateway_on_emulator


def _claim_refund(buyer, order, vendor, amount, owner):
    sub = order.sub_orders.get(vendor=vendor)
    claim = services.claim_open(buyer=buyer, order_id=order.pk, sub_order_id=sub.pk, reason="damaged",
                                description="Broken on arrival", lines={sub.lines.get().pk: 1})
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        return claim_refund_issue(claim=locked, amount=amount, liability="vendor", actor=owner,
                                  vendor_amount=amount)


def test_a_claim_refund_of_a_stripe_taxed_order_reverses_its_part(
    buyer, vendor_a, owner_a, emulator, settings, django_capture_on_commit_callbacks,
):
    settings.ORDERS_TAX_CALCULATOR = "orders.tax.StripeTaxCalculator"
    order = paid_orders(buyer)((vendor_a, sellable_variant(vendor_a, price=11_900, stock=5), 1))
    assert order.tax_calculation_id.startswith("taxcalc_")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        refund = _claim_refund(buyer, order, vendor_a, 5_950, owner_a)

    reversals = [task for task in queued_tasks(callbacks) if task[0] == REVERSE]
    assert reversals == [(REVERSE, (order.pk, refund.stripe_refund_id, 5_950), "public")]
    # What the task does with those arguments: half of 119.00 with 19.00 VAT in it.
    reversal_id = order_tax_transaction_reverse(order_id=order.pk, refund_id=refund.stripe_refund_id, amount=5_950)
    reversal = gateway._client().v1.tax.transactions.retrieve(reversal_id)
    assert [(line.amount, line.amount_tax) for line in reversal.line_items.data] == [(-5_950, -950)]


def test_a_claim_refund_of_an_order_the_data_rates_priced_queues_no_reversal(
    buyer, vendor_a, owner_a, emulator, django_capture_on_commit_callbacks,
):
    order = paid_orders(buyer)((vendor_a, sellable_variant(vendor_a, price=11_900, stock=5), 1))
    assert order.tax_calculation_id == ""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _claim_refund(buyer, order, vendor_a, 5_950, owner_a)
    assert [task for task in queued_tasks(callbacks) if task[0] == REVERSE] == []
