"""Card disputes (chargebacks): opened from Stripe's events, recovered from vendors, evidence, closing."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from common.mail import send_mail_localized
from common.money import allocate, format_money_localized
from disputes.errors import (
    ChargebackClosed,
    ChargebackNotFound,
    ChargebackOrderNotPaidYet,
    ClaimInvalid,
    EvidenceDeadlinePassed,
)
from disputes.models import (
    Chargeback,
    ChargebackEvidence,
    ChargebackShare,
)
from disputes.services.attachments import attachments_check
from disputes.services.claims import DESCRIPTION_MAX
from disputes.services.evidence_files import (
    DISPUTE_EVIDENCE_MAX_BYTES,
    DISPUTE_EVIDENCE_TYPES,
    evidence_file_upload,
    evidence_files_choose,
)
from disputes.services.policy import chargeback_liability
from disputes.services.refunds import _reversal_done, _transfer_left
from orders.models import Order, SubOrder
from payments import gateway
from payouts.transfers import (
    transfer_hold_for_sub_order,
    transfer_release_hold,
    transfer_reverse_for_sub_order,
)
from vendors.models import Vendor
from vendors.selectors import Audience, vendor_audience_emails

_STATUS_RANK = {
    "warning_needs_response": 1, "needs_response": 1, "warning_under_review": 2, "under_review": 2,
    "warning_closed": 3, "charge_refunded": 3, "won": 3, "lost": 3, "prevented": 3,
}


def _dispute_fee(dispute: dict[str, Any]) -> int:
    fees = [int(txn.get("fee") or 0) for txn in dispute.get("balance_transactions") or []
            if int(txn.get("amount") or 0) < 0]
    if fees:
        return sum(fees)
    return int(getattr(settings, "DISPUTES_DISPUTE_FEE", 1500))


def _chargeback_locked_or_create(dispute: dict[str, Any]) -> tuple[Chargeback, bool]:
    stripe_id = dispute["id"]
    found = Chargeback.objects.select_for_update().filter(stripe_dispute_id=stripe_id).first()
    if found is not None:
        return found, False
    intent_id = dispute.get("payment_intent") or ""
    if isinstance(intent_id, dict):
        intent_id = intent_id.get("id") or ""
    order = Order.objects.filter(payment_intent_id=intent_id).first() if intent_id else None
    due = (dispute.get("evidence_details") or {}).get("due_by")
    try:
        with transaction.atomic():
            chargeback = Chargeback.objects.create(
                stripe_dispute_id=stripe_id, order=order, payment_intent_id=intent_id,
                charge_id=str(dispute.get("charge") or ""), amount=int(dispute["amount"]),
                currency=str(dispute["currency"]).upper(), reason=str(dispute.get("reason") or "")[:64],
                stripe_status="needs_response", status_event_created=0,
                due_by=datetime.fromtimestamp(int(due), tz=UTC) if due else None,
                fee_amount=_dispute_fee(dispute),
            )
    except IntegrityError:
        return Chargeback.objects.select_for_update().get(stripe_dispute_id=stripe_id), False
    return Chargeback.objects.select_for_update().get(pk=chargeback.pk), True


def _vendor_recoveries(chargeback: Chargeback) -> list[tuple[int, int]]:
    return [(share.vendor_id, share.amount) for share in chargeback.shares.all() if share.amount]


@transaction.atomic
def chargeback_apply(*, dispute: dict[str, Any], event_created: int) -> Chargeback:
    """Apply any `charge.dispute.*` state, once, in any order: open → (under review) → won / lost."""
    from payouts.ledger.postings import post_chargeback_opened

    intent_id = dispute.get("payment_intent") or ""
    order = Order.objects.filter(payment_intent_id=intent_id).first() if isinstance(intent_id, str) and intent_id else None
    if order is not None and order.paid_at is None and order.status == Order.Status.PENDING_PAYMENT:
        # The dispute overtook `payment_intent.succeeded`: fail so the event is retried once the order
        # is paid (its transfers exist then, and can be held).
        raise ChargebackOrderNotPaidYet(
            f"Order {order.pk} of dispute {dispute.get('id')} is not marked paid yet; retry later.")
    chargeback, created = _chargeback_locked_or_create(dispute)
    if created:
        subs = list(SubOrder.objects.filter(order=chargeback.order).order_by("vendor_id")) if chargeback.order else []
        if subs:
            shares = allocate(chargeback.amount, [sub.total_amount for sub in subs])
            for sub, share in zip(subs, shares, strict=True):
                ChargebackShare.objects.create(chargeback=chargeback, sub_order=sub, vendor_id=sub.vendor_id,
                                               amount=share)
        recoveries = _vendor_recoveries(chargeback) if chargeback_liability() == "vendor" else []
        post_chargeback_opened(
            dispute_id=chargeback.stripe_dispute_id, amount=chargeback.amount, currency=chargeback.currency,
            dispute_fee=chargeback.fee_amount, vendor_recoveries=recoveries,
            key=f"chargeback_opened:{chargeback.stripe_dispute_id}",
        )
        _holds_apply(chargeback)
        chargeback_id = chargeback.pk
        transaction.on_commit(lambda: chargeback_opened_after(chargeback_id=chargeback_id))
    status = str(dispute.get("status") or "")
    rank_new = _STATUS_RANK.get(status, 0)
    rank_held = _STATUS_RANK.get(chargeback.stripe_status, 0) if chargeback.status_event_created else 0
    newer = rank_new > rank_held or (rank_new == rank_held and event_created > chargeback.status_event_created)
    if newer and chargeback.outcome == "":
        chargeback.stripe_status = status
        chargeback.status_event_created = event_created
        due = (dispute.get("evidence_details") or {}).get("due_by")
        if due:
            chargeback.due_by = datetime.fromtimestamp(int(due), tz=UTC)
        chargeback.save(update_fields=["stripe_status", "status_event_created", "due_by", "updated_at"])
    if status in ("won", "lost") and chargeback.outcome == "":
        _chargeback_close(chargeback, won=status == "won")
    return chargeback


def _chargeback_close(chargeback: Chargeback, *, won: bool) -> None:
    from payouts.ledger.postings import post_chargeback_lost, post_chargeback_won

    liable = chargeback_liability() == "vendor"
    recoveries = _vendor_recoveries(chargeback) if liable else []
    chargeback.outcome = Chargeback.Outcome.WON if won else Chargeback.Outcome.LOST
    chargeback.stripe_status = "won" if won else "lost"
    chargeback.closed_at = timezone.now()
    chargeback.save(update_fields=["outcome", "stripe_status", "closed_at", "updated_at"])
    key = f"chargeback_closed:{chargeback.stripe_dispute_id}"
    if won:
        post_chargeback_won(dispute_id=chargeback.stripe_dispute_id, amount=chargeback.amount,
                            currency=chargeback.currency, vendor_recoveries=recoveries, key=key,
                            fee_returned=chargeback.fee_amount)
        _holds_release(chargeback)
    else:
        post_chargeback_lost(dispute_id=chargeback.stripe_dispute_id, amount=chargeback.amount,
                             currency=chargeback.currency, vendor_recoveries=recoveries, key=key,
                             platform_tax=_platform_tax_disputed(chargeback))
        if liable and chargeback.fee_amount:
            _ledger_fee_recovery(chargeback)
        for share in chargeback.shares.all():
            ChargebackShare.objects.filter(pk=share.pk).update(recovered_amount=share.amount if liable else 0)
    chargeback_id = chargeback.pk
    transaction.on_commit(lambda: chargeback_closed_after(chargeback_id=chargeback_id))


def _platform_tax_disputed(chargeback: Chargeback) -> dict[int, int]:
    """The deemed-supplier tax in each vendor's disputed share, in its sub-order's proportion (as a
    refund of that amount would count it): no longer owed once the buyer keeps the money."""
    from payouts.ledger.postings import platform_tax_in_refund

    taxes = {}
    for share in chargeback.shares.select_related("sub_order"):
        sub = share.sub_order
        tax = platform_tax_in_refund(platform_tax=sub.platform_tax_amount, total=sub.total_amount, amount=share.amount)
        if tax:
            taxes[share.vendor_id] = tax
    return taxes


def _ledger_fee_recovery(chargeback: Chargeback) -> None:
    """Lost and the vendors are liable: they owe the dispute fee too (in proportion to their shares)."""
    from payouts.ledger.services import account_for, entry_post
    from payouts.models import AccountCode, JournalEntry

    shares = list(chargeback.shares.all())
    if not shares:
        return
    parts = allocate(chargeback.fee_amount, [share.amount for share in shares])
    postings = []
    for share, part in zip(shares, parts, strict=True):
        if part:
            postings.append((account_for(code=AccountCode.VENDOR_PENDING, currency=chargeback.currency,
                                         vendor_id=share.vendor_id), part, chargeback.currency))
    postings.append((account_for(code=AccountCode.STRIPE_FEES, currency=chargeback.currency),
                     -sum(parts), chargeback.currency))
    entry_post(key=f"chargeback_fee_recovered:{chargeback.stripe_dispute_id}", kind=JournalEntry.Kind.ADJUSTMENT,
               reference=("dispute", chargeback.stripe_dispute_id), postings=postings,
               memo="dispute fee recovered from the vendors")


def _holds_apply(chargeback: Chargeback) -> None:
    """Hold each involved vendor's funds for this chargeback (same transaction as the opening)."""
    for share in chargeback.shares.all():
        transfer_hold_for_sub_order(sub_order_id=share.sub_order_id, reason=_hold_reason_chargeback(chargeback))


def _hold_reason_chargeback(chargeback: Chargeback) -> str:
    return f"chargeback {chargeback.stripe_dispute_id}"


def _holds_release(chargeback: Chargeback) -> None:
    for share in chargeback.shares.all():
        transfer_release_hold(sub_order_id=share.sub_order_id, reason=_hold_reason_chargeback(chargeback))


def chargeback_opened_after(*, chargeback_id: int) -> None:
    """After commit: tell the vendors involved (their funds are already held)."""
    from common.hosts import vendor_url

    chargeback = Chargeback.objects.select_related("order").filter(pk=chargeback_id).first()
    if chargeback is None:
        return
    order = chargeback.order.number if chargeback.order else chargeback.charge_id
    for share in chargeback.shares.select_related("vendor"):
        url = vendor_url(share.vendor, f"/dashboard/chargebacks/{chargeback.pk}/")
        team = vendor_audience_emails(vendor_id=share.vendor_id, audience=Audience.TEAM)
        send_mail_localized(team, partial(_chargeback_opened_text, chargeback, order, share.amount, url),
                            fail_silently=True)


def _chargeback_opened_text(chargeback: Chargeback, order: str, amount: int, url: str) -> tuple[str, str]:
    due = (date_format(timezone.localtime(chargeback.due_by), "DATETIME_FORMAT") if chargeback.due_by else "—")
    return (
        _("A card dispute was opened on order %(order)s") % {"order": order},
        _("The buyer's bank disputes %(amount)s. Upload your evidence before %(due)s on your dashboard.") % {
            "amount": format_money_localized(amount, chargeback.currency), "due": due} + f"\n\n{url}\n",
    )


def chargeback_closed_after(*, chargeback_id: int) -> None:
    """After commit: a lost case is recovered from the vendors (policy: reversal) by a retried task."""
    chargeback = Chargeback.objects.filter(pk=chargeback_id).first()
    if chargeback is None or chargeback.outcome != Chargeback.Outcome.LOST:
        return
    from disputes.tasks import chargeback_recover

    chargeback_recover.delay(chargeback_id)


def chargeback_recover(*, chargeback_id: int) -> int:
    """Reverse each liable vendor's transfer by its share and fee (once per key), then lift the hold.

    With the `balance` policy (or nothing transferred yet) the ledger's negative pending balance is
    deducted from the vendor's future transfers instead; the hold is lifted either way.
    """
    chargeback = Chargeback.objects.filter(pk=chargeback_id).first()
    if chargeback is None or chargeback.outcome != Chargeback.Outcome.LOST:
        return 0
    use_reversal = getattr(settings, "DISPUTES_CHARGEBACK_RECOVERY", "reversal") == "reversal"
    shares = list(chargeback.shares.all())
    fees = allocate(chargeback.fee_amount, [s.amount for s in shares]) if shares else []
    done = 0
    for share, fee in zip(shares, fees, strict=True):
        key = f"chargeback:{chargeback.stripe_dispute_id}:{share.sub_order_id}"
        if _reversal_done(key):
            continue
        amount = min(share.recovered_amount + (fee if share.recovered_amount else 0),
                     _transfer_left(share.sub_order_id))
        if use_reversal and amount > 0:
            transfer_reverse_for_sub_order(sub_order_id=share.sub_order_id, amount=amount, key=key,
                                           reason=f"chargeback {chargeback.stripe_dispute_id} lost")
            done += amount
    with transaction.atomic():
        _holds_release(chargeback)
    return done


def _chargeback_for_update(chargeback_id: Any, vendor: Vendor | None = None) -> Chargeback:
    """The chargeback, locked; with `vendor`, only one that involves that vendor (else 404)."""
    try:
        pk = int(chargeback_id)
    except (TypeError, ValueError):
        raise ChargebackNotFound(_("Dispute not found.")) from None
    if vendor is not None and not ChargebackShare.objects.filter(chargeback_id=pk, vendor=vendor).exists():
        raise ChargebackNotFound(_("Dispute not found."))
    chargeback = Chargeback.objects.select_for_update().filter(pk=pk).first()
    if chargeback is None:
        raise ChargebackNotFound(_("Dispute not found."))
    return chargeback


def _evidence_open(chargeback: Chargeback, now: datetime) -> None:
    if chargeback.outcome:
        raise ChargebackClosed(_("This dispute is closed."))
    if chargeback.evidence_submitted_at is not None:
        raise ChargebackClosed(_("Evidence was already submitted."), code="evidence_already_submitted")
    if chargeback.due_by is not None and now > chargeback.due_by:
        raise EvidenceDeadlinePassed(_("The deadline for evidence has passed."))


@transaction.atomic
def chargeback_evidence_add(
    *, chargeback_id: Any, user: Any, kind: Any, text: Any = "", upload: UploadedFile | None = None,
    vendor: Vendor | None = None, now: datetime | None = None,
) -> ChargebackEvidence:
    """A vendor (for its share) or an admin adds evidence before the deadline."""
    chargeback = _chargeback_for_update(chargeback_id, vendor=vendor)
    _evidence_open(chargeback, now or timezone.now())
    if kind not in ChargebackEvidence.Kind.values:
        raise ClaimInvalid(_("Choose the kind of evidence."), fields={"kind": [_("Required.")]})
    body = str(text or "").strip()
    if not body and upload is None:
        raise ClaimInvalid(_("Add a text or a file."), fields={"text": [_("Required.")]})
    evidence = ChargebackEvidence(chargeback=chargeback, vendor=vendor, kind=kind, text=body[:DESCRIPTION_MAX],
                                  created_by=user)
    if upload is not None:
        # Stripe's limits for dispute evidence, checked now so a file that could never be sent is
        # refused while the vendor is still on the page.
        checked = attachments_check([upload], field="file", allowed=DISPUTE_EVIDENCE_TYPES,
                                    max_bytes=DISPUTE_EVIDENCE_MAX_BYTES)[0]
        evidence.content_type = checked.content_type
        evidence.original_name = checked.original_name
        evidence.file.save(checked.stored_name(), checked.file, save=False)
    evidence.save()
    return evidence


# The text fields of Stripe's dispute evidence the ops form offers (files go in the file fields:
# `disputes.services.evidence_files`).
EVIDENCE_FIELDS = ("uncategorized_text", "shipping_tracking_number", "shipping_carrier", "product_description",
                   "refund_policy_disclosure", "refund_refusal_explanation", "access_activity_log")


def chargeback_evidence_submit(
    *, chargeback_id: Any, admin: Any, fields: dict[str, Any], files: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Chargeback:
    """An admin assembles the vendors' evidence and submits it to the gateway (once).

    Three steps: check everything (text, which file fills which field, each file sendable); upload
    the files not uploaded yet, each keeping its Stripe id at once; then send the evidence with the
    file ids and mark it submitted. A failure before the last step sends no evidence, and a retry
    uploads nothing twice.
    """
    now = now or timezone.now()
    with transaction.atomic():
        chargeback = _chargeback_for_update(chargeback_id)
        _evidence_open(chargeback, now)
        evidence = _evidence_text(chargeback, fields)
        assignment = evidence_files_choose(chargeback.evidence.all(), files)
        if not evidence and not assignment:
            raise ClaimInvalid(_("There is no evidence to submit."), fields={"uncategorized_text": [_("Required.")]})
    file_ids = {field: evidence_file_upload(item) for field, item in assignment.items()}
    with transaction.atomic():
        chargeback = _chargeback_for_update(chargeback_id)
        _evidence_open(chargeback, now)  # another admin may have submitted meanwhile
        evidence.update(file_ids)
        gateway.dispute_update(dispute_id=chargeback.stripe_dispute_id, evidence=evidence, submit=True)
        chargeback.evidence_submitted_at = now
        chargeback.evidence_submitted_by = admin
        chargeback.submitted_evidence = evidence
        chargeback.save(update_fields=["evidence_submitted_at", "evidence_submitted_by", "submitted_evidence",
                                       "updated_at"])
    return chargeback


def _evidence_text(chargeback: Chargeback, fields: dict[str, Any]) -> dict[str, str]:
    evidence = {name: str(fields.get(name) or "").strip()[:20000] for name in EVIDENCE_FIELDS}
    if not evidence["uncategorized_text"]:
        evidence["uncategorized_text"] = "\n\n".join(
            f"[{item.get_kind_display()}] {item.text}" for item in chargeback.evidence.all() if item.text)
    return {k: v for k, v in evidence.items() if v}
