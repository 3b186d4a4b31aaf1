"""What a claim may refund: line charges, unit amounts, per-line caps, the locked refund basis."""

from __future__ import annotations

from collections.abc import Sequence

from disputes.models import (
    Claim,
    ClaimLine,
)
from orders.models import Order, OrderLine, SubOrder

PAID_SUB_ORDER_STATUSES = frozenset({
    SubOrder.Status.PAID, SubOrder.Status.PARTIALLY_FULFILLED, SubOrder.Status.FULFILLED, SubOrder.Status.DELIVERED,
})


def line_charge(line: OrderLine, order: Order) -> int:
    """What the buyer paid for the line: after its discounts (docs/adr/0094), tax included when it
    was added on top."""
    return line.line_amount - line.discount_amount + (line.tax_amount if order.tax_display == Order.TaxDisplay.EXCLUSIVE else 0)


def units_amount(*, charge: int, quantity: int, units: int) -> int:
    return charge if units >= quantity else charge * units // quantity


def claim_line_caps(claim: Claim, lines: Sequence[ClaimLine] | None = None) -> list[tuple[OrderLine, int]]:
    """Per claimed line: at most the claimed units' price, and never more than is left to refund."""
    order = claim.order
    result = []
    for claim_line in lines if lines is not None else claim.lines.select_related("order_line"):
        line = claim_line.order_line
        charge = line_charge(line, order)
        cap = min(units_amount(charge=charge, quantity=line.quantity, units=claim_line.quantity),
                  charge - line.refunded_amount)
        result.append((line, max(cap, 0)))
    return result


def refund_basis_lock(claim: Claim) -> SubOrder:
    """Lock the claim's vendor part and bring it up to date before any refund is worked out.

    The public sub-order's row lock comes first, as for every refund of a vendor part (buyer and
    vendor cancellations take it too), so refunds of one part run one after the other. Then its
    lines are synced from the vendor's copy: units cancelled a moment ago, whose sync task has not
    run yet, already count as refunded here. Caller holds a transaction.
    """
    from orders.services import sub_order_sync

    sub = SubOrder.objects.select_for_update().get(pk=claim.sub_order_id)
    synced = sub_order_sync(sub_order_id=sub.pk)
    return synced if synced is not None else sub


def claim_refundable(claim: Claim) -> int:
    return sum(cap for _line, cap in claim_line_caps(claim))
