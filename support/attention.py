"""What the ops home shows: the queues that need someone now, and sales today and this week."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone

from accounts import roles
from disputes.models import Chargeback, Claim
from orders.models import Order, OrderReview
from payments.models import WebhookEvent
from payouts.models import AccountCode, LedgerBalance, Transfer
from support.models import DeadLetter
from vendors.models import VendorApplication


@dataclass(frozen=True)
class Attention:
    key: str
    count: int
    url: str
    finance: bool = False  # finance staff work this queue too (their pages); else admins only


def attention_for(user: Any) -> list[Attention]:
    """The queues this person may open: admins all of them, finance staff theirs (the ops nav's rule)."""
    if roles.is_platform_admin(user):
        return attention_list()
    return [item for item in attention_list() if item.finance and roles.is_finance(user)]


def attention_list(*, now: dt.datetime | None = None) -> list[Attention]:
    """Each queue's size, with the page that works it. Zero rows are kept: "nothing waiting" is news."""
    now = now or timezone.now()
    return [
        Attention("applications", VendorApplication.objects.filter(
            status=VendorApplication.Status.SUBMITTED).count(), "/ops/applications/"),
        Attention("claims_overdue", Claim.objects.filter(
            status=Claim.Status.OPEN, respond_by__lt=now).count(), "/ops/claims/"),
        Attention("disputes_evidence_due", Chargeback.objects.filter(
            outcome="", closed_at__isnull=True, evidence_submitted_at__isnull=True,
            due_by__isnull=False, due_by__gte=now).count(), "/ops/disputes/"),
        Attention("fraud_review", OrderReview.objects.filter(status=OrderReview.Status.PENDING).count(),
                  "/ops/reviews/"),
        Attention("webhooks_failed", WebhookEvent.objects.filter(status=WebhookEvent.Status.FAILED).count(),
                  "/ops/webhooks/?status=failed"),
        Attention("transfers_failed", Transfer.objects.filter(status=Transfer.Status.FAILED).count(),
                  "/ops/transfers/?status=failed", finance=True),
        Attention("dead_letters", DeadLetter.objects.filter(status=DeadLetter.Status.OPEN).count(),
                  "/ops/dead-letters/"),
        # Vendors, not (vendor, currency) pairs: one owing in two currencies is one to chase.
        Attention("negative_balances", len({vendor for vendor, _c, _b in vendors_with_negative_balance()}),
                  "/ops/ledger/", finance=True),
    ]


def vendors_with_negative_balance() -> list[tuple[int, str, int]]:
    """(vendor id, currency, balance in minor units) of each vendor owing the platform: its
    pending plus available funds (liabilities, credit-normal) below zero."""
    rows = (LedgerBalance.objects
            .filter(account__vendor__isnull=False,
                    account__code__in=[AccountCode.VENDOR_PENDING, AccountCode.VENDOR_AVAILABLE])
            .values("account__vendor_id", "account__currency")
            .annotate(raw=Sum("balance")).filter(raw__gt=0).order_by("account__vendor_id", "account__currency"))
    return [(row["account__vendor_id"], row["account__currency"], -row["raw"]) for row in rows]


@dataclass(frozen=True)
class Sales:
    currency: str
    gmv: int  # minor units: the paid orders' totals (goods, shipping, tax), before refunds
    orders: int


# What "sales" means here (also said on the page): an order counts when its payment succeeded
# (`paid_at`) inside the period, at its total (goods, shipping, tax) in its own currency. Orders
# refunded or cancelled later still count: GMV is gross, refunds are finance's figures. Orders
# never paid (awaiting payment, payment failed, expired) have no `paid_at` and never count.


def sales_between(since: dt.datetime, until: dt.datetime) -> list[Sales]:
    """Orders paid from `since` to `until` (both included), per currency; amounts never mixed."""
    rows = (Order.objects.filter(paid_at__gte=since, paid_at__lte=until).values("currency")
            .annotate(gmv=Sum("total_amount"), n=Count("id")).order_by("currency"))
    return [Sales(row["currency"], int(row["gmv"]), int(row["n"])) for row in rows]


def sales_summary(*, now: dt.datetime | None = None) -> dict[str, list[Sales]]:
    """Today (since midnight, platform time, UTC) and the last 7 days (today and the 6 days
    before it, from their midnight); both up to `now`."""
    now = now or timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return {"today": sales_between(midnight, now), "week": sales_between(midnight - dt.timedelta(days=6), now)}


__all__ = ["Attention", "Sales", "attention_for", "attention_list", "sales_summary", "vendors_with_negative_balance"]
