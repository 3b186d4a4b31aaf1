"""Reads of claims and chargebacks, each scoped to who asks (buyer, vendor, admin)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from disputes.errors import ChargebackNotFound, ClaimNotFound
from disputes.models import ACTIVE_STATUSES, Chargeback, Claim
from vendors.models import Vendor


def _base() -> QuerySet[Claim]:
    return Claim.objects.select_related("order", "vendor", "buyer", "sub_order")


def claims_for_buyer(*, user: Any) -> QuerySet[Claim]:
    return _base().filter(buyer=user)


def claims_for_vendor(*, vendor: Vendor, status: str = "") -> QuerySet[Claim]:
    qs = _base().filter(vendor=vendor)
    if status:
        qs = qs.filter(status=status)
    return qs


def claims_for_ops(*, status: str = "escalated") -> QuerySet[Claim]:
    qs = _base()
    if status == "active":
        return qs.filter(status__in=ACTIVE_STATUSES)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("escalated_at", "id") if status == "escalated" else qs


def _detail(qs: QuerySet[Claim], claim_id: Any) -> Claim:
    try:
        pk = int(claim_id)
    except (TypeError, ValueError):
        raise ClaimNotFound(_("Claim not found.")) from None
    claim = qs.prefetch_related("lines__order_line", "messages__author", "messages__attachments", "attachments",
                                "refunds", "events__actor").filter(pk=pk).first()
    if claim is None:
        raise ClaimNotFound(_("Claim not found."))
    return claim


def claim_for_buyer(*, user: Any, claim_id: Any) -> Claim:
    return _detail(claims_for_buyer(user=user), claim_id)


def claim_for_vendor(*, vendor: Vendor, claim_id: Any) -> Claim:
    return _detail(claims_for_vendor(vendor=vendor), claim_id)


def claim_for_ops(*, claim_id: Any) -> Claim:
    return _detail(_base(), claim_id)


def party_history(*, claim: Claim) -> dict[str, Any]:
    """Both parties' claim record, for the arbitration page."""
    def summary(qs: QuerySet[Claim]) -> dict[str, int]:
        return qs.exclude(pk=claim.pk).aggregate(
            total=Count("id"), refunded=Count("id", filter=Q(status__startswith="resolved_refund")),
            denied=Count("id", filter=Q(status="resolved_denied")),
        )
    return {"buyer": summary(Claim.objects.filter(buyer_id=claim.buyer_id)),
            "vendor": summary(Claim.objects.filter(vendor_id=claim.vendor_id))}


def chargebacks_for_ops(*, state: str = "open") -> QuerySet[Chargeback]:
    qs = Chargeback.objects.select_related("order")
    if state == "open":
        return qs.filter(outcome="").order_by("due_by", "id")
    if state == "closed":
        return qs.exclude(outcome="").order_by("-closed_at", "-id")
    return qs


def chargebacks_for_vendor(*, vendor: Vendor) -> QuerySet[Chargeback]:
    return Chargeback.objects.filter(shares__vendor=vendor).select_related("order").distinct().order_by("due_by", "id")


def chargeback_for_vendor(*, vendor: Vendor, chargeback_id: Any) -> Chargeback:
    try:
        chargeback = chargebacks_for_vendor(vendor=vendor).filter(pk=int(chargeback_id)).first()
    except (TypeError, ValueError):
        chargeback = None
    if chargeback is None:
        raise ChargebackNotFound(_("Dispute not found."))
    return chargeback


def chargeback_for_ops(*, chargeback_id: Any) -> Chargeback:
    try:
        chargeback = (Chargeback.objects.select_related("order").prefetch_related("shares__vendor", "evidence__vendor")
                      .filter(pk=int(chargeback_id)).first())
    except (TypeError, ValueError):
        chargeback = None
    if chargeback is None:
        raise ChargebackNotFound(_("Dispute not found."))
    return chargeback


def chargeback_stats() -> dict[str, Any]:
    """Win rate over closed cases and the amounts at stake in open ones (per currency)."""
    counts = Chargeback.objects.aggregate(won=Count("id", filter=Q(outcome="won")),
                                          lost=Count("id", filter=Q(outcome="lost")),
                                          open=Count("id", filter=Q(outcome="")))
    decided = counts["won"] + counts["lost"]
    at_stake = list(Chargeback.objects.filter(outcome="").values("currency").annotate(total=Sum("amount"))
                    .order_by("currency"))
    return {**counts, "win_rate": round(100 * counts["won"] / decided) if decided else None, "at_stake": at_stake}


def claims_awaiting_vendor(*, vendor: Vendor) -> QuerySet[Claim]:
    """Open claims the vendor must answer, the nearest answer deadline first."""
    return Claim.objects.filter(vendor=vendor, status=Claim.Status.OPEN).order_by("respond_by", "id")


def chargebacks_open_for_vendor(*, vendor: Vendor) -> QuerySet[Chargeback]:
    """Card disputes still open that touch the vendor's orders, the nearest evidence deadline
    first (an open one without a deadline last)."""
    return (Chargeback.objects.filter(shares__vendor=vendor, outcome="").select_related("order")
            .distinct().order_by(F("due_by").asc(nulls_last=True), "id"))
