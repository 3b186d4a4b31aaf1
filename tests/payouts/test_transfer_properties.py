"""Property: any sequence of holds, releases and reversals on an unsent transfer keeps its
invariants, and a refused step writes nothing."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common.exceptions import ApplicationError
from payouts import transfers as svc
from payouts.models import Transfer, TransferReversal

pytestmark = pytest.mark.django_db

REASONS = ["claim:1", "claim:2", "chargeback dp_1"]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("hold"), st.sampled_from(REASONS)),
        st.tuples(st.just("release"), st.sampled_from([*REASONS, None])),
        st.tuples(st.just("reverse"), st.integers(min_value=-5, max_value=1200)),
    ),
    max_size=12,
)


def _pending_transfer(vendor, buyer) -> Transfer:
    from orders.models import Order, SubOrder

    now = timezone.now()
    order = Order.objects.create(
        buyer=buyer, email=buyer.email, status="paid", currency="EUR", tax_display="inclusive",
        subtotal_amount=1000, shipping_amount=0, tax_amount=0, total_amount=1000, commission_amount=100,
        checkout_token=f"prop-{now.timestamp()}", reserved_until=now, paid_at=now, ship_name="P", ship_line1="1",
        ship_city="B", ship_postal_code="1", ship_country="DE")
    SubOrder.objects.create(order=order, vendor=vendor, status="paid", shipping_name="S", shipping_amount=0,
                            subtotal_amount=1000, tax_amount=0, total_amount=1000, commission_amount=100,
                            net_amount=900)
    [transfer] = svc.transfers_create_for_order(order_id=order.pk)
    return transfer


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps)
def test_unsent_transfer_invariants(vendor_a, buyer, sequence):
    with transaction.atomic():
        transfer = _pending_transfer(vendor_a, buyer)
        reasons: set[str] = set()
        reversed_total = 0
        for index, (op, arg) in enumerate(sequence):
            before = Transfer.objects.values_list("status", "amount_reversed", "hold_reasons").get(pk=transfer.pk)
            try:
                if op == "hold":
                    svc.transfer_hold_for_sub_order(sub_order_id=transfer.sub_order_id, reason=arg)
                    if before[0] != "reversed":
                        reasons.add(arg)
                elif op == "release":
                    svc.transfer_release_hold(sub_order_id=transfer.sub_order_id, reason=arg)
                    reasons = set() if arg is None else reasons - {arg}
                else:
                    svc.transfer_reverse_for_sub_order(sub_order_id=transfer.sub_order_id, amount=arg,
                                                       key=f"k{index}", reason="prop")
                    reversed_total += arg
            except ApplicationError:
                after = Transfer.objects.values_list("status", "amount_reversed", "hold_reasons").get(pk=transfer.pk)
                assert after == before  # a refused step wrote nothing
            transfer.refresh_from_db()
            assert 0 <= transfer.amount_reversed <= transfer.amount
            assert transfer.amount_reversed == reversed_total == sum(
                TransferReversal.objects.filter(transfer=transfer).values_list("amount", flat=True))
            if transfer.amount_due == 0:
                assert transfer.status == "reversed"
            elif transfer.hold_reasons:
                assert transfer.status == "held"
            else:
                assert transfer.status == "pending"
            if transfer.status != "reversed":
                assert set(transfer.hold_reasons) == reasons
        transaction.set_rollback(True)
