"""Ledger reads: balances (from the running-balance table), entries with postings, checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import Prefetch, QuerySet, Sum
from django.db.models.functions import Coalesce

from payouts.models import AccountCode, JournalEntry, LedgerAccount, LedgerBalance, Posting


def normal_balance(account: LedgerAccount, raw: int) -> int:
    """The balance on the account's normal side: liabilities and revenue shown positive."""
    return raw if account.debit_normal else -raw


def accounts_with_balances(
    *, vendor_id: int | None = None, currency: str | None = None, platform_only: bool = False
) -> QuerySet[LedgerAccount]:
    accounts = LedgerAccount.objects.select_related("vendor", "running").order_by(
        "vendor_id", "code", "currency"
    )
    if vendor_id is not None:
        accounts = accounts.filter(vendor_id=vendor_id)
    elif platform_only:
        accounts = accounts.filter(vendor__isnull=True)
    if currency:
        accounts = accounts.filter(currency=currency)
    return accounts


def account_balance(account: LedgerAccount) -> int:
    """Raw (debit-positive) balance from the running-balance row: one indexed read."""
    return (
        LedgerBalance.objects.filter(account=account).values_list("balance", flat=True).first()
        or 0
    )


def balances_by_code(*, currency: str, vendor_id: int | None = None) -> dict[str, int]:
    """Raw balances of the platform's (or one vendor's) accounts in a currency, by code."""
    # vendor_id=None selects the platform's accounts (`vendor_id IS NULL`). django-stubs rejects None
    # in an exact lookup on a nullable foreign key's `_id` (typeddjango/django-stubs#3472).
    rows = LedgerBalance.objects.filter(  # type: ignore[misc]
        account__currency=currency, account__vendor_id=vendor_id
    ).values_list("account__code", "balance")
    return dict(rows)


def vendor_balances(*, vendor_id: int, currency: str) -> dict[str, int]:
    """A vendor's money on the normal side: pending, available, reserved, and paid out to date."""
    raw = balances_by_code(currency=currency, vendor_id=vendor_id)
    paid_out = (
        Posting.objects.filter(
            account__vendor_id=vendor_id, account__code=AccountCode.VENDOR_AVAILABLE,
            account__currency=currency, entry__kind=JournalEntry.Kind.PAYOUT,
        ).aggregate(total=Coalesce(Sum("amount"), 0))["total"]
    )
    return {
        "pending": -raw.get(AccountCode.VENDOR_PENDING, 0),
        "available": -raw.get(AccountCode.VENDOR_AVAILABLE, 0),
        "reserved": -raw.get(AccountCode.VENDOR_DISPUTE_RESERVE, 0),
        "paid_out": paid_out,
    }


def platform_net_revenue(*, currency: str) -> int:
    """Commissions − Stripe fees − refunded commissions − dispute losses."""
    raw = balances_by_code(currency=currency)
    return (
        -raw.get(AccountCode.COMMISSION_REVENUE, 0)
        - raw.get(AccountCode.STRIPE_FEES, 0)
        - raw.get(AccountCode.REFUNDS, 0)
        - raw.get(AccountCode.DISPUTE_LOSSES, 0)
        - raw.get(AccountCode.ADJUSTMENTS, 0)
    )


def entries_list(
    *, vendor_id: int | None = None, kind: str | None = None,
    date_from: dt.date | None = None, date_to: dt.date | None = None,
) -> QuerySet[JournalEntry]:
    entries = JournalEntry.objects.select_related("created_by", "reverses").prefetch_related(
        Prefetch(
            "postings",
            queryset=Posting.objects.select_related("account", "account__vendor").order_by("id"),
        )
    ).order_by("-created_at", "-id")
    if vendor_id is not None:
        entries = entries.filter(postings__account__vendor_id=vendor_id).distinct()
    if kind:
        entries = entries.filter(kind=kind)
    if date_from:
        entries = entries.filter(created_at__date__gte=date_from)
    if date_to:
        entries = entries.filter(created_at__date__lte=date_to)
    return entries


def ledger_mismatches() -> list[dict[str, Any]]:
    """Accounts whose running balance differs from the sum of their postings (should be none)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.id, COALESCE(b.balance, 0), COALESCE(s.total, 0)
              FROM payouts_ledgeraccount a
              LEFT JOIN payouts_ledgerbalance b ON b.account_id = a.id
              LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM payouts_posting
                          GROUP BY account_id) s ON s.account_id = a.id
             WHERE COALESCE(b.balance, 0) <> COALESCE(s.total, 0)
            """
        )
        return [
            {"account_id": row[0], "running": row[1], "postings": row[2]}
            for row in cursor.fetchall()
        ]


def unbalanced_entries() -> list[tuple[int, str, int]]:
    """(entry id, currency, sum) of every entry that does not balance (should be none)."""
    return list(
        Posting.objects.values("entry_id", "currency")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .values_list("entry_id", "currency", "total")
    )
