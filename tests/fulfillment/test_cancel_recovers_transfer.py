"""A vendor cancelling units after payment gives its part of the refund back from its transfer."""

from __future__ import annotations

import pytest

from fulfillment import services
from fulfillment.models import VendorOrder
from payouts.models import Transfer
from payouts.tasks import transfer_recover_refund
from payouts.transfers import transfers_create_for_order
from tests.factories.orders import paid_orders, sellable_variant
from tests.support.queued import queued_tasks

pytestmark = pytest.mark.django_db


# A paid order from the factory (no webhook round trip); its PaymentIntent is real on the session's
# emulator, which the refunds and transfers under test go through.
@pytest.fixture
def emulator(gateway_on_emulator):
    return gateway_on_emulator


@pytest.fixture
def paid_order(shopper, emulator):
    return paid_orders(shopper)


def test_cancelled_units_reduce_the_unsent_transfer_by_the_vendors_part(
    paid_order, vendor_a, in_schema, emulator, django_capture_on_commit_callbacks
):
    variant = sellable_variant(vendor_a, price=2000, stock=5)
    order = paid_order((vendor_a, variant, 2))
    sub = order.sub_orders.get()
    transfers_create_for_order(order_id=order.pk)
    transfer = Transfer.objects.get(sub_order_id=sub.pk)
    due_before = transfer.amount_due
    assert due_before == sub.net_amount

    with in_schema(vendor_a):
        copy = VendorOrder.objects.get()
        line = copy.lines.get()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.vendor_order_line_cancel(vendor_order_id=copy.pk, line_id=line.pk, quantity=1)
        line.refresh_from_db()
    refunded = line.refunded_amount
    commission_back = order.lines.get().commission_amount // 2
    vendor_part = refunded - commission_back
    refund_id = _refund_id_of(emulator, order.payment_intent_id)
    # the recovery, after commit, for this sub-order, the vendor's part and the refund
    assert ("payouts.tasks.transfer_recover_refund", (sub.pk, vendor_part, refund_id), "public") in queued_tasks(
        callbacks)
    transfer_recover_refund(sub.pk, vendor_part, refund_id)
    transfer_recover_refund(sub.pk, vendor_part, refund_id)  # a redelivered task changes nothing

    transfer.refresh_from_db()
    assert transfer.amount_due == due_before - vendor_part


def _refund_id_of(emulator, payment_intent_id: str) -> str:
    import json
    import urllib.request

    with urllib.request.urlopen(emulator.url + "/_emulator/state", timeout=10) as response:
        refunds = json.loads(response.read())["objects"]["refund"]
    (refund,) = [r for r in refunds if r["payment_intent"] == payment_intent_id]
    return refund["id"]
