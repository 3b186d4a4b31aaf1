"""Claim refunds: the gateway refund, the ledger entry, the vendor's copy and recovery from the vendor."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from common.money import allocate, format_money_localized
from disputes.errors import (
    ClaimNotAllowed,
    OverRefund,
)
from disputes.models import (
    Claim,
    ClaimEvent,
    ClaimRefund,
    ClaimRefundLine,
)
from disputes.services.amounts import claim_line_caps, line_charge, refund_basis_lock
from disputes.services.policy import refund_commission_policy
from disputes.services.transitions import _transition, _user
from orders.fulfillment_port import fulfilment
from orders.models import OrderLine, SubOrder
from payments import gateway
from payouts.transfers import transfer_reverse_for_sub_order

S = Claim.Status


def _refund_and_resolve(claim: Claim, sub: SubOrder, *, amount: int, maximum: int, liability: str,
                        vendor_amount: int, actor: Any) -> ClaimRefund:
    refund = claim_refund_issue(claim=claim, sub=sub, amount=amount, liability=liability, vendor_amount=vendor_amount,
                                actor=actor)
    full = amount >= maximum
    _transition(claim, S.RESOLVED_REFUND_FULL if full else S.RESOLVED_REFUND_PARTIAL, actor=actor,
                action="refunded", data={"refund_id": refund.pk, "amount": amount, "liability": liability})
    return refund


def claim_refund_issue(*, claim: Claim, amount: int, liability: str, vendor_amount: int, actor: Any,
                       sub: SubOrder | None = None) -> ClaimRefund:
    """Refund `amount` of the claimed lines through the gateway and post it; caller holds the claim lock.

    Lines are locked here, so two refunds of the same line (this claim or another) serialise and
    the second sees what the first took: never more than was paid, summed over every refund.
    `sub` is what `refund_basis_lock` returned when the caller already took that lock in this
    transaction (it then stays up to date: every change of the part needs the same lock).
    """
    if transaction.get_autocommit():
        raise RuntimeError("claim_refund_issue runs inside the caller's transaction")
    order = claim.order
    if sub is None:
        sub = refund_basis_lock(claim)
    claim_lines = list(claim.lines.order_by("order_line_id"))
    locked = {line.pk: line for line in OrderLine.objects.select_for_update().filter(
        pk__in=[c.order_line_id for c in claim_lines]).order_by("pk")}
    for claim_line in claim_lines:
        claim_line.order_line = locked[claim_line.order_line_id]
    caps = claim_line_caps(claim, claim_lines)
    total_cap = sum(cap for _line, cap in caps)
    if amount <= 0 or amount > total_cap or sub.refunded_amount + amount > sub.total_amount:
        raise OverRefund(
            _("At most %(max)s can still be refunded on this claim.")
            % {"max": format_money_localized(max(total_cap, 0), order.currency)},
            fields={"amount": [_("More than what is left to refund.")]},
        )
    if not order.payment_intent_id:
        raise ClaimNotAllowed(_("This order has no payment to refund."), code="order_not_paid")
    parts = allocate(amount, [cap for _line, cap in caps])
    sequence = ClaimRefund.objects.filter(claim=claim).count() + 1
    key = f"claim:{claim.pk}:refund:{sequence}"
    result = gateway.refund_create(
        key=key, payment_intent_id=order.payment_intent_id, amount=amount,
        metadata={"order_id": order.pk, "claim_id": claim.pk, "sub_order_id": sub.pk, "sequence": sequence},
    )
    commission = 0
    for (line, _cap), part in zip(caps, parts, strict=True):
        if part:
            charge = line_charge(line, order)
            commission += line.commission_amount * part // charge if charge else 0
    platform_part = amount - vendor_amount
    commission_back = commission * vendor_amount // amount if refund_commission_policy() else 0
    refund = ClaimRefund.objects.create(
        claim=claim, key=key, stripe_refund_id=result.id, amount=amount, currency=order.currency,
        liability=liability, vendor_amount=vendor_amount, platform_amount=platform_part,
        commission_refunded=commission_back, created_by=_user(actor),
    )
    for (line, _cap), part in zip(caps, parts, strict=True):
        if part:
            ClaimRefundLine.objects.create(refund=refund, order_line=line, amount=part)
            OrderLine.objects.filter(pk=line.pk).update(refunded_amount=F("refunded_amount") + part)
    sub.refunded_amount += amount
    sub.save(update_fields=["refunded_amount", "updated_at"])
    fulfilment().refund_record(sub_order=sub, amount=amount, line_parts={
        line.pk: part for (line, _c), part in zip(caps, parts, strict=True) if part})
    claim.refunded_amount = F("refunded_amount") + amount
    claim.save(update_fields=["refunded_amount", "updated_at"])
    claim.refresh_from_db(fields=["refunded_amount"])
    vendor_net = amount - platform_part - commission_back
    tax, vendor_tax = claim_refund_tax(sub, amount=amount, vendor_net=vendor_net)
    _ledger_refund(claim=claim, refund=refund, platform_part=platform_part + commission_back, tax=tax,
                   vendor_tax=vendor_tax)
    ClaimEvent.objects.create(claim=claim, actor=_user(actor), action="refund", data={
        "refund_id": refund.pk, "stripe_refund_id": result.id, "amount": amount, "vendor_amount": vendor_amount,
        "platform_amount": platform_part, "commission_refunded": commission_back, "key": key,
    })
    if vendor_net - vendor_tax > 0:
        refund_id = refund.pk
        transaction.on_commit(lambda: _recover_later(refund_id))
    if order.tax_calculation_id:
        # Stripe Tax priced the order: its tax transaction gives back this refund's part, as the
        # other refund paths do through their `sub_order.refund` event (docs/adr/0088).
        _tax_reversal_later(order_id=order.pk, stripe_refund_id=str(result.id), amount=amount)
    return refund


def _tax_reversal_later(*, order_id: int, stripe_refund_id: str, amount: int) -> None:
    from orders.tasks import order_tax_transaction_reverse_task

    transaction.on_commit(lambda: order_tax_transaction_reverse_task.delay(order_id, stripe_refund_id, amount))


def claim_refund_tax(sub: SubOrder, *, amount: int, vendor_net: int) -> tuple[int, int]:
    """The deemed-supplier tax in a claim refund (no longer owed: it comes off `tax_payable`) and
    the part of it in what the vendor bears; the rest lightens what the platform bears."""
    from payouts.ledger.postings import platform_tax_in_refund

    tax = platform_tax_in_refund(platform_tax=sub.platform_tax_amount, total=sub.total_amount, amount=amount)
    if not tax:
        return 0, 0
    return tax, allocate(tax, [vendor_net, amount - vendor_net])[0]


def _ledger_refund(*, claim: Claim, refund: ClaimRefund, platform_part: int, tax: int = 0,
                   vendor_tax: int = 0) -> None:
    """One refund entry: the vendor's payable drops by its part, the platform expenses the rest;
    the deemed-supplier tax in the refund comes off `tax_payable`, each side bearing that much less."""
    from payouts.ledger.postings import post_refund

    post_refund(
        order_id=claim.order_id, refund_id=refund.stripe_refund_id, currency=refund.currency,
        vendor_shares=[(claim.vendor_id, refund.amount, platform_part - (tax - vendor_tax))], refund_commission=True,
        key=f"refund:claim:{claim.pk}:{refund.key}", platform_tax={claim.vendor_id: tax} if tax else None,
    )
    from payouts.invoices import credit_note_issue

    credit_note_issue(sub_order=claim.sub_order, amount=refund.amount, key=f"claim:{claim.pk}:{refund.key}")


def _recover_later(refund_id: int) -> None:
    from disputes.tasks import claim_refund_recover

    claim_refund_recover.delay(refund_id)


def claim_refund_recover(*, refund_id: int) -> bool:
    """Take the vendor's part back from its transfer when payouts can (else it stays owed)."""
    refund = ClaimRefund.objects.select_related("claim").filter(pk=refund_id).first()
    if refund is None:
        return False
    vendor_net = refund.amount - refund.platform_amount - refund.commission_refunded
    # The tax in the vendor's part was not the vendor's (the platform owed it): not taken back.
    amount = vendor_net - claim_refund_tax(refund.claim.sub_order, amount=refund.amount, vendor_net=vendor_net)[1]
    key = f"claimrefund:{refund.pk}"
    if _reversal_done(key):
        return True
    amount = min(amount, _transfer_left(refund.claim.sub_order_id))
    if amount <= 0:
        return False
    transfer_reverse_for_sub_order(sub_order_id=refund.claim.sub_order_id, amount=amount, key=key,
                                   reason=f"claim {refund.claim.number} refund")
    return True


def _reversal_done(key: str) -> bool:
    from payouts.models import TransferReversal

    return TransferReversal.objects.filter(key=key).exists()


def _transfer_left(sub_order_id: int) -> int:
    """What payouts can still take back from the sub-order's transfer (the rest stays owed), in
    the order's currency (a transfer in the vendor's own currency is converted at the snapshot)."""
    from payouts.transfers import transfer_left_in_order_currency

    return transfer_left_in_order_currency(sub_order_id=sub_order_id)
