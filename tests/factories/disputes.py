"""Factories for disputes: claims and chargebacks, made by the services that open them in production."""

from __future__ import annotations

import itertools
import time
from typing import Any

import factory

from disputes.models import Chargeback, Claim

_disputes = itertools.count(1)


class ClaimFactory(factory.Factory):
    """A buyer's claim on `sub_order` (all units of its first line unless `lines={line_id: qty}`), via `claim_open`; `status` open, vendor_rejected or escalated."""

    class Meta:
        model = Claim

    sub_order: Any = None
    lines: dict[int, int] | None = None
    reason = Claim.Reason.DAMAGED
    description = "Broken on arrival"
    attachments: Any = ()
    status = Claim.Status.OPEN

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        from disputes import services

        sub = kwargs["sub_order"]
        order = sub.order
        lines = kwargs["lines"]
        if lines is None:
            first = sub.lines.order_by("id").first()
            lines = {first.pk: first.quantity}
        claim = services.claim_open(buyer=order.buyer, order_id=order.pk, sub_order_id=sub.pk,
                                    reason=kwargs["reason"], description=kwargs["description"],
                                    lines=lines, attachments=kwargs["attachments"])
        if kwargs["status"] in (Claim.Status.VENDOR_REJECTED, Claim.Status.ESCALATED):
            owner = sub.vendor.memberships.get(role="owner").user
            claim = services.claim_reject(claim_id=claim.pk, vendor=sub.vendor, user=owner, reason="Not as claimed")
        if kwargs["status"] == Claim.Status.ESCALATED:
            claim = services.claim_escalate(claim_id=claim.pk, user=order.buyer)
        claim.refresh_from_db()
        assert claim.status == kwargs["status"], (claim.status, kwargs["status"])
        return claim


def dispute_payload(order: Any, *, amount: int | None = None, status: str = "needs_response",
                    reason: str = "fraudulent", dispute_id: str | None = None) -> dict[str, Any]:
    """Stripe's `charge.dispute.*` object for a dispute on `order`'s payment."""
    from payments.models import PaymentRecord

    charge = PaymentRecord.objects.filter(payment_intent_id=order.payment_intent_id).values_list(
        "latest_charge", flat=True).first()
    return {
        "id": dispute_id or f"dp_factory_{next(_disputes)}", "object": "dispute",
        "amount": order.total_amount if amount is None else amount, "currency": order.currency.lower(),
        "charge": charge or f"ch_factory_{order.pk}", "payment_intent": order.payment_intent_id, "reason": reason,
        "status": status, "evidence_details": {"due_by": int(time.time()) + 7 * 86400},
        "balance_transactions": [],
    }


class ChargebackFactory(factory.Factory):
    """A chargeback on a paid `order` (shares per vendor, ledger, holds) via `chargeback_apply` of a dispute payload."""

    class Meta:
        model = Chargeback

    order: Any = None
    amount: int | None = None
    status = "needs_response"
    reason = "fraudulent"

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        from disputes.services import chargeback_apply

        dispute = dispute_payload(kwargs["order"], amount=kwargs["amount"], status=kwargs["status"],
                                  reason=kwargs["reason"])
        return chargeback_apply(dispute=dispute, event_created=int(time.time()))
