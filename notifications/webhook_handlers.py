"""Connect events that vendors hear about: payouts sent or failed, Stripe requirements due.

Handlers run inside the applying transaction after payouts' and vendors' own (INSTALLED_APPS
order); the notice is written there and its email sent after commit. A replayed event notifies
once (the dedupe key is the payout's and its status, or the set of items due).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from django.utils import formats

from common.hosts import vendor_url
from notifications.services import vendor_team_notify
from payments.models import WebhookEvent
from payments.webhooks import webhook_handler

MONEY_ROLES = ("owner", "manager")


def _vendor(account_id: str):  # type: ignore[no-untyped-def]
    from vendors.models import Vendor

    return Vendor.objects.filter(stripe_account_id=account_id).first() if account_id else None


@webhook_handler("payout.paid", "payout.failed")
def payout_notify(event: WebhookEvent) -> None:
    vendor = _vendor(str(event.payload.get("account") or ""))
    if vendor is None:
        return
    payout = event.data_object
    failed = event.type == "payout.failed"
    arrival = payout.get("arrival_date")
    vendor_team_notify(
        "payout_failed" if failed else "payout_sent", vendor=vendor, roles=MONEY_ROLES,
        link=vendor_url(vendor, "/dashboard/money/"),
        context={"amount": int(payout.get("amount") or 0), "currency": str(payout.get("currency") or "").upper(),
                 "failure_code": str(payout.get("failure_code") or ""),
                 "arrival_date": formats.date_format(datetime.fromtimestamp(int(arrival), tz=UTC).date())
                 if arrival else ""},
        dedupe_key=f"payout:{payout.get('id')}:{event.type}",
    )


@webhook_handler("account.updated")
def requirements_notify(event: WebhookEvent) -> None:
    account = event.data_object
    vendor = _vendor(str(account.get("id") or ""))
    if vendor is None or not vendor.stripe_details_submitted:
        return  # before onboarding is submitted, the onboarding form itself asks for them
    requirements = account.get("requirements") or {}
    due = sorted({*(requirements.get("currently_due") or []), *(requirements.get("past_due") or [])})
    if not due:
        return
    digest = hashlib.sha256(",".join(due).encode()).hexdigest()[:16]
    vendor_team_notify("stripe_requirements_due", vendor=vendor, roles=("owner",),
                       link=vendor_url(vendor, "/dashboard/go-live/"), context={"count": len(due)},
                       dedupe_key=f"requirements:{vendor.pk}:{digest}")
