"""Finance report reads for a period: commissions by vendor and category, transfers, payouts,
refunds, disputes, and the platform's net revenue (from the ledger's postings in the period)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from payouts.exports import period_bounds, period_clean
from payouts.models import AccountCode, CommissionRule, JournalEntry, Payout, Posting, Transfer


@dataclass
class FinanceSummary:
    date_from: dt.date
    date_to: dt.date
    currency: str
    commission_total: int = 0
    gross_total: int = 0
    orders: int = 0
    by_vendor: list[dict[str, Any]] = field(default_factory=list)
    by_category: list[dict[str, Any]] = field(default_factory=list)
    transfers: list[dict[str, Any]] = field(default_factory=list)
    payouts: list[dict[str, Any]] = field(default_factory=list)
    refunds: dict[str, int] = field(default_factory=dict)
    disputes: list[dict[str, Any]] = field(default_factory=list)
    revenue: dict[str, int] = field(default_factory=dict)


def _dicts(rows: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in rows]


def _ledger_in_period(start: dt.datetime, end: dt.datetime, currency: str) -> dict[str, int]:
    """Raw (debit-positive) movement per platform account code in the period."""
    rows = Posting.objects.filter(
        entry__created_at__gte=start, entry__created_at__lt=end, currency=currency,
        account__vendor__isnull=True,
    ).values("account__code").annotate(total=Sum("amount")).order_by()
    return {row["account__code"]: row["total"] for row in rows}


def finance_summary(*, date_from: Any, date_to: Any, currency: str = "EUR") -> FinanceSummary:
    from orders.models import OrderLine, SubOrder

    start_date, end_date = period_clean(date_from, date_to)
    start, end = period_bounds(start_date, end_date)
    summary = FinanceSummary(date_from=start_date, date_to=end_date, currency=currency)
    subs = SubOrder.objects.filter(order__paid_at__gte=start, order__paid_at__lt=end, order__currency=currency)
    totals = subs.aggregate(gross=Coalesce(Sum("total_amount"), 0), commission=Coalesce(Sum("commission_amount"), 0),
                            orders=Count("order_id", distinct=True))
    summary.gross_total, summary.commission_total, summary.orders = (
        totals["gross"], totals["commission"], totals["orders"])
    summary.by_vendor = _dicts(
        subs.values("vendor_id", "vendor__name")
        .annotate(sales=Count("id"), gross=Sum("total_amount"), commission=Sum("commission_amount"),
                  net=Sum("net_amount"))
        .order_by("-commission", "vendor_id")
    )
    paths = dict(CommissionRule.objects.values_list("pk", "category_path"))
    scopes = dict(CommissionRule.objects.values_list("pk", "scope"))
    by_category: dict[str, dict[str, Any]] = {}
    for row in (OrderLine.objects.filter(order__paid_at__gte=start, order__paid_at__lt=end, order__currency=currency)
                .values("commission_rule_id").annotate(lines=Count("id"), amount=Sum("line_amount"),
                                                       commission=Sum("commission_amount")).order_by()):
        rule_id = row["commission_rule_id"] or 0
        scope = scopes.get(rule_id) or ""
        label = paths.get(rule_id) or (
            "—" if scope in ("", CommissionRule.Scope.PLATFORM, CommissionRule.Scope.VENDOR) else f"#{rule_id}")
        bucket = by_category.setdefault(label, {"category": label, "lines": 0, "amount": 0, "commission": 0})
        for key in ("lines", "amount", "commission"):
            bucket[key] += row[key] or 0
    summary.by_category = sorted(by_category.values(), key=lambda b: -b["commission"])
    summary.transfers = _dicts(
        Transfer.objects.filter(created_at__gte=start, created_at__lt=end, currency=currency)
        .values("status").annotate(count=Count("id"), amount=Sum("amount"), reversed=Sum("amount_reversed"))
        .order_by("status")
    )
    summary.payouts = _dicts(
        Payout.objects.filter(created_at__gte=start, created_at__lt=end, currency=currency)
        .values("status").annotate(count=Count("id"), amount=Sum("amount")).order_by("status")
    )
    refund_entries = JournalEntry.objects.filter(kind=JournalEntry.Kind.REFUND, created_at__gte=start,
                                                 created_at__lt=end)
    refunded = Posting.objects.filter(entry__in=refund_entries, account__code=AccountCode.PLATFORM_CASH,
                                      currency=currency).aggregate(total=Coalesce(Sum("amount"), 0))["total"]
    summary.refunds = {"count": refund_entries.count(), "amount": -refunded}
    summary.disputes = _dicts(
        JournalEntry.objects.filter(created_at__gte=start, created_at__lt=end, kind__in=[
            JournalEntry.Kind.CHARGEBACK_OPENED, JournalEntry.Kind.CHARGEBACK_WON, JournalEntry.Kind.CHARGEBACK_LOST,
        ]).values("kind").annotate(count=Count("id", filter=Q(postings__currency=currency), distinct=True))
        .order_by("kind")
    )
    moves = _ledger_in_period(start, end, currency)
    revenue = {
        "commissions": -moves.get(AccountCode.COMMISSION_REVENUE, 0),
        "stripe_fees": moves.get(AccountCode.STRIPE_FEES, 0),
        "refunded_commissions": moves.get(AccountCode.REFUNDS, 0),
        "dispute_losses": moves.get(AccountCode.DISPUTE_LOSSES, 0),
        "adjustments": moves.get(AccountCode.ADJUSTMENTS, 0),
    }
    revenue["net"] = (revenue["commissions"] - revenue["stripe_fees"] - revenue["refunded_commissions"]
                      - revenue["dispute_losses"] - revenue["adjustments"])
    summary.revenue = revenue
    return summary
