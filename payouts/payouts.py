"""Payout writes: a connected account's payouts to its bank, recorded from Connect webhooks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from payouts.ledger.postings import post_payout
from payouts.ledger.services import entry_reverse
from payouts.models import JournalEntry, Payout

P = Payout.Status
# Events of the same second: only a later stage wins (Stripe's `created` has 1 s resolution).
_RANK = {P.PENDING: 0, P.IN_TRANSIT: 1, P.PAID: 2, P.FAILED: 3, P.CANCELED: 3}


def _arrival(value: Any) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)


@transaction.atomic
def payout_record_apply(*, data: dict[str, Any], account_id: str, event_created: int) -> Payout | None:
    """Apply one `payout.*` object: newest event wins; the ledger follows `paid` (and a later fail).

    Idempotent and order-tolerant: an older event than the one applied changes nothing, and the
    ledger entries have keys derived from the payout id.
    """
    from vendors.models import Vendor

    vendor_id = Vendor.objects.filter(stripe_account_id=account_id).values_list("pk", flat=True).first()
    if vendor_id is None or not account_id:
        return None
    payout_id = str(data["id"])
    status = str(data.get("status") or P.PENDING)
    if status not in P.values:
        status = P.PENDING
    payout = Payout.objects.select_for_update().filter(stripe_payout_id=payout_id).first()
    if payout is None:
        try:
            with transaction.atomic():
                payout = Payout.objects.create(
                    vendor_id=vendor_id, stripe_payout_id=payout_id, account=account_id,
                    amount=int(data.get("amount") or 0), currency=str(data.get("currency") or "").upper(),
                    status=status, arrival_date=_arrival(data.get("arrival_date")),
                    failure_code=str(data.get("failure_code") or "")[:100],
                    last_event_created=event_created,
                )
        except IntegrityError:
            payout = Payout.objects.select_for_update().get(stripe_payout_id=payout_id)
        else:
            _ledger_follow(payout)
            return payout
    if event_created < payout.last_event_created or (
        event_created == payout.last_event_created and _RANK[P(status)] < _RANK[P(payout.status)]
    ):
        return payout  # stale: a newer state is already held
    payout.status = status
    payout.last_event_created = event_created
    payout.arrival_date = _arrival(data.get("arrival_date")) or payout.arrival_date
    payout.failure_code = str(data.get("failure_code") or payout.failure_code or "")[:100]
    payout.save(update_fields=["status", "last_event_created", "arrival_date", "failure_code",
                               "updated_at"])
    _ledger_follow(payout)
    return payout


def _ledger_follow(payout: Payout) -> None:
    key = f"payout:{payout.stripe_payout_id}"
    if payout.status == P.PAID:
        post_payout(vendor_id=payout.vendor_id, amount=payout.amount, currency=payout.currency,
                    payout_id=payout.stripe_payout_id, key=key)
        if payout.paid_at is None:
            payout.paid_at = timezone.now()
            payout.save(update_fields=["paid_at"])
    elif payout.status in (P.FAILED, P.CANCELED):
        # Stripe may fail a payout after `paid`: the money is back in the connected account.
        entry = JournalEntry.objects.filter(key=key).first()
        if entry is not None:
            entry_reverse(entry=entry, key=f"payout_failed:{payout.stripe_payout_id}",
                          reason=f"payout {payout.status}: {payout.failure_code or 'unknown'}")
