"""Payouts reads: commission rules and a vendor's money (sub-orders, transfers, payouts)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from orders.timeline import TimelineEntry
from payouts.models import CommissionRule, Transfer, TransferEvent


def commission_rules_list(
    *, scope: str | None = None, vendor_id: int | None = None, currency: str | None = None
) -> QuerySet[CommissionRule]:
    rules = CommissionRule.objects.select_related("vendor").order_by(
        "scope", "vendor_id", "category_id", "currency", "-valid_from", "-id"
    )
    if scope:
        rules = rules.filter(scope=scope)
    if vendor_id:
        rules = rules.filter(vendor_id=vendor_id)
    if currency:
        rules = rules.filter(currency=currency)
    return rules


# ---------------------------------------------------------------------------------------------
# a vendor's money (always scoped by the vendor of the current host)
# ---------------------------------------------------------------------------------------------
def vendor_paid_out_total(*, vendor_id: int, currency: str) -> int:
    from django.db.models import Sum
    from django.db.models.functions import Coalesce

    from payouts.models import Payout

    return Payout.objects.filter(vendor_id=vendor_id, currency=currency, status=Payout.Status.PAID).aggregate(
        total=Coalesce(Sum("amount"), 0))["total"]


def vendor_paid_out_until(*, vendor_id: int, currency: str) -> Any:
    """Transfers are paid out first in, first out: the newest transfer time fully covered."""
    from django.db.models import F, Sum, Window

    from payouts.models import Transfer

    total = vendor_paid_out_total(vendor_id=vendor_id, currency=currency)
    if total <= 0:
        return None
    return (
        Transfer.objects.filter(vendor_id=vendor_id, currency=currency, transferred_at__isnull=False)
        .annotate(cumulative=Window(Sum(F("amount_transferred") - F("amount_reversed")),
                                    order_by=[F("transferred_at").asc(), F("id").asc()]))
        .filter(cumulative__lte=total)
        .order_by("-transferred_at").values_list("transferred_at", flat=True).first()
    )


def vendor_money_rows(*, vendor_id: int) -> QuerySet[Any]:
    """The vendor's paid sub-orders with their transfer, newest first."""
    from orders.models import SubOrder

    return (
        SubOrder.objects.filter(vendor_id=vendor_id, order__paid_at__isnull=False)
        .select_related("order", "transfer").order_by("-order__paid_at", "-id")
    )


def money_status(sub_order: Any, paid_out_until: Any) -> str:
    """pending | held | transferred | paid_out | reversed, as the vendor sees it."""
    from payouts.models import Transfer

    transfer = getattr(sub_order, "transfer", None)
    if transfer is None:
        return "pending"
    status = transfer.status
    if status == Transfer.Status.HELD or (transfer.hold_reasons and status in (
        Transfer.Status.PENDING, Transfer.Status.FAILED
    )):
        return "held"
    if status == Transfer.Status.REVERSED:
        return "reversed"
    if status in (Transfer.Status.TRANSFERRED, Transfer.Status.PARTIALLY_REVERSED):
        if paid_out_until is not None and transfer.transferred_at <= paid_out_until:
            return "paid_out"
        return "transferred"
    return "pending"


def vendor_payouts(*, vendor_id: int) -> QuerySet[Any]:
    from payouts.models import Payout

    return Payout.objects.filter(vendor_id=vendor_id).order_by("-created_at", "-id")


def vendor_statement_months(*, vendor_id: int) -> list[Any]:
    from django.db.models.functions import TruncMonth

    from orders.models import SubOrder

    return list(
        SubOrder.objects.filter(vendor_id=vendor_id, order__paid_at__isnull=False)
        .annotate(month=TruncMonth("order__paid_at")).values_list("month", flat=True)
        .distinct().order_by("-month")[:36]
    )


def transfer_timeline(*, transfer_ids: list[int]) -> list[TimelineEntry]:
    """The status moves of these transfers, for staff, oldest first."""
    entries = []
    events = TransferEvent.objects.filter(transfer_id__in=transfer_ids).select_related("actor", "transfer__vendor")
    for event in events.order_by("created_at", "id"):
        before = Transfer.Status(event.from_status).label if event.from_status else _("created")
        move = _("Transfer to %(vendor)s: %(from)s → %(to)s") % {
            "vendor": event.transfer.vendor.name, "from": before, "to": Transfer.Status(event.to_status).label}
        actor = event.actor.email if event.actor is not None else event.actor_kind
        entries.append(TimelineEntry(event.created_at, move, f"transfer.{event.to_status}", actor=actor,
                                     reason=event.reason))
    return entries


def vendor_next_payout(*, vendor_id: int) -> Any:
    """The payout on its way to the vendor's bank that arrives first (None when none is)."""
    from django.db.models import F

    from payouts.models import Payout

    return (Payout.objects.filter(vendor_id=vendor_id, status__in=[Payout.Status.PENDING, Payout.Status.IN_TRANSIT])
            .order_by(F("arrival_date").asc(nulls_last=True), "id").first())
