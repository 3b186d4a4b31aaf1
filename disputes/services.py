"""Claim and chargeback state changes: opening, answers, escalation, arbitration, refunds, evidence.

Every service is one transaction that locks what it changes and checks the move against
`TRANSITIONS` (walked completely by a test). Refunds lock the order lines, never exceed what is
left to refund on any line (summed over every earlier refund), call the gateway with a key derived
from the claim and its refund count (a retry replays, never pays twice) and post the ledger entry
in the same transaction. Vendor recovery (transfer reversal) and fund holds go through payouts'
services after commit; without a transfer yet, the vendor's pending balance is simply reduced.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from common.mail import send_mail_localized
from common.money import allocate, format_money_localized
from disputes.errors import (
    ChargebackClosed,
    ChargebackNotFound,
    ChargebackOrderNotPaidYet,
    ClaimInvalid,
    ClaimNotAllowed,
    ClaimNotFound,
    ClaimStateConflict,
    EvidenceDeadlinePassed,
    InvalidAttachment,
    OverRefund,
)
from disputes.models import (
    ACTIVE_STATUSES,
    Chargeback,
    ChargebackEvidence,
    ChargebackShare,
    Claim,
    ClaimAttachment,
    ClaimEvent,
    ClaimLine,
    ClaimMessage,
    ClaimRefund,
    ClaimRefundLine,
    VendorClaimPolicy,
)
from orders.models import Order, OrderLine, SubOrder
from payments import gateway
from vendors.models import Vendor

logger = logging.getLogger(__name__)

S = Claim.Status

# Every allowed move; a test walks every pair of states against this table.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.VENDOR_ACCEPTED, S.VENDOR_REJECTED, S.ESCALATED, S.CLOSED}),
    S.VENDOR_ACCEPTED: frozenset({S.RESOLVED_REFUND_FULL, S.RESOLVED_REFUND_PARTIAL, S.ESCALATED, S.CLOSED}),
    S.VENDOR_REJECTED: frozenset({S.ESCALATED, S.CLOSED}),
    S.ESCALATED: frozenset({S.RESOLVED_REFUND_FULL, S.RESOLVED_REFUND_PARTIAL, S.RESOLVED_DENIED, S.CLOSED}),
    S.RESOLVED_REFUND_FULL: frozenset(),
    S.RESOLVED_REFUND_PARTIAL: frozenset(),
    S.RESOLVED_DENIED: frozenset(),
    S.CLOSED: frozenset(),
}

ATTACHMENT_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "application/pdf"})
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENTS_MAX = 5
DESCRIPTION_MAX = 5000
PAID_SUB_ORDER_STATUSES = frozenset({
    SubOrder.Status.PAID, SubOrder.Status.PARTIALLY_FULFILLED, SubOrder.Status.FULFILLED,
})


# ---------------------------------------------------------------------------------------------
# settings
# ---------------------------------------------------------------------------------------------
def return_window_days(vendor: Vendor) -> int:
    override = VendorClaimPolicy.objects.filter(vendor=vendor).values_list("return_window_days", flat=True).first()
    if override is not None:
        return int(override)
    return int(getattr(settings, "DISPUTES_RETURN_WINDOW_DAYS", 30))


def claim_window_days() -> int:
    return int(getattr(settings, "DISPUTES_CLAIM_WINDOW_DAYS", 60))


def vendor_sla_business_days() -> int:
    return int(getattr(settings, "DISPUTES_VENDOR_SLA_BUSINESS_DAYS", 3))


def refund_commission_policy() -> bool:
    """True: the platform gives its commission back on refunds; False: it keeps it."""
    return str(getattr(settings, "DISPUTES_COMMISSION_ON_REFUND", "refunded")) == "refunded"


def chargeback_liability() -> str:
    """`vendor`: vendors bear lost chargebacks (amount and fee); `platform`: the platform does."""
    return str(getattr(settings, "DISPUTES_CHARGEBACK_LIABILITY", "vendor"))


def add_business_days(start: datetime, days: int) -> datetime:
    """`start` plus `days` working days (Monday to Friday; public holidays are not modelled)."""
    current = start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


@transaction.atomic
def vendor_claim_policy_set(*, vendor: Vendor, return_window_days: Any) -> VendorClaimPolicy:
    """The vendor's own return window (empty: the platform's default applies)."""
    if return_window_days in (None, ""):
        days = None
    else:
        try:
            days = int(str(return_window_days).strip())
        except ValueError:
            days = -1
        if not 0 <= days <= 365:
            raise ClaimInvalid(_("Enter a number of days between 0 and 365."),
                               fields={"return_window_days": [_("Between 0 and 365.")]})
    policy, _created = VendorClaimPolicy.objects.select_for_update().get_or_create(vendor=vendor)
    policy.return_window_days = days
    policy.save(update_fields=["return_window_days"])
    return policy


# ---------------------------------------------------------------------------------------------
# money helpers
# ---------------------------------------------------------------------------------------------
def line_charge(line: OrderLine, order: Order) -> int:
    """What the buyer paid for the line (tax included when it was added on top)."""
    return line.line_amount + (line.tax_amount if order.tax_display == Order.TaxDisplay.EXCLUSIVE else 0)


def units_amount(*, charge: int, quantity: int, units: int) -> int:
    return charge if units >= quantity else charge * units // quantity


def claim_line_caps(claim: Claim, lines: Sequence[ClaimLine] | None = None) -> list[tuple[OrderLine, int]]:
    """Per claimed line: at most the claimed units' price, and never more than is left to refund."""
    order = claim.order
    result = []
    for claim_line in lines if lines is not None else claim.lines.select_related("order_line"):
        line = claim_line.order_line
        charge = line_charge(line, order)
        cap = min(units_amount(charge=charge, quantity=line.quantity, units=claim_line.quantity),
                  charge - line.refunded_amount)
        result.append((line, max(cap, 0)))
    return result


def refund_basis_lock(claim: Claim) -> SubOrder:
    """Lock the claim's vendor part and bring it up to date before any refund is worked out.

    The public sub-order's row lock comes first, as for every refund of a vendor part (buyer and
    vendor cancellations take it too), so refunds of one part run one after the other. Then its
    lines are synced from the vendor's copy: units cancelled a moment ago, whose sync task has not
    run yet, already count as refunded here. Caller holds a transaction.
    """
    from orders.services import sub_order_sync

    sub = SubOrder.objects.select_for_update().get(pk=claim.sub_order_id)
    synced = sub_order_sync(sub_order_id=sub.pk)
    return synced if synced is not None else sub


def claim_refundable(claim: Claim) -> int:
    return sum(cap for _line, cap in claim_line_caps(claim))


# ---------------------------------------------------------------------------------------------
# internals
# ---------------------------------------------------------------------------------------------
def _transition(claim: Claim, to: str, *, actor: Any, action: str, data: dict[str, Any] | None = None,
                fields: Iterable[str] = ()) -> None:
    if to not in TRANSITIONS[claim.status]:
        raise ClaimStateConflict(
            _("This claim is %(status)s; it cannot become %(to)s.")
            % {"status": claim.get_status_display(), "to": S(to).label},
        )
    before = claim.status
    claim.status = to
    if to.startswith("resolved_") or to == S.CLOSED:
        claim.resolved_at = timezone.now()
    claim.save(update_fields=["status", "resolved_at", "updated_at", *fields])
    ClaimEvent.objects.create(claim=claim, actor=_user(actor), action=action, from_status=before,
                              to_status=to, data=data or {})
    if not TRANSITIONS[to]:
        release = _payouts_hook("transfer_release_hold")
        if release is not None:
            release(sub_order_id=claim.sub_order_id, reason=_hold_reason_claim(claim))
    _notify_on_commit(claim.pk, action)


def _hold_reason_claim(claim: Claim) -> str:
    return f"claim {claim.number}"


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _locked_claim(claim_id: Any, **scope: Any) -> Claim:
    try:
        pk = int(claim_id)
    except (TypeError, ValueError):
        raise ClaimNotFound(_("Claim not found.")) from None
    claim = (Claim.objects.select_for_update(of=("self",)).select_related("order", "sub_order", "vendor")
             .filter(pk=pk, **scope).first())
    if claim is None:
        raise ClaimNotFound(_("Claim not found."))
    return claim


def _schema(vendor: Vendor) -> str:
    if vendor.store is None:
        raise ClaimNotAllowed(_("This seller has no store."), code="vendor_without_store")
    return vendor.store.schema_name


def _positive_int(value: Any, field: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ClaimInvalid(_("Enter a whole number."), fields={field: [_("Enter a whole number.")]}) from None
    if number < 1:
        raise ClaimInvalid(_("Enter a number of at least 1."), fields={field: [_("Must be at least 1.")]})
    return number


def attachments_check(files: Sequence[UploadedFile], field: str = "attachments") -> list[Any]:
    from vendors.errors import InvalidUpload
    from vendors.uploads import upload_check

    if len(files) > ATTACHMENTS_MAX:
        raise InvalidAttachment(_("Attach at most %(n)s files.") % {"n": ATTACHMENTS_MAX},
                                fields={field: [_("Too many files.")]})
    checked = []
    for upload in files:
        try:
            checked.append(upload_check(upload=upload, allowed=ATTACHMENT_TYPES,
                                        max_bytes=ATTACHMENT_MAX_BYTES, field=field))
        except InvalidUpload as exc:
            raise InvalidAttachment(exc.message, fields=exc.fields) from exc
    return checked


def _attachments_save(claim: Claim, checked: list[Any], *, user: Any, role: str,
                      message: ClaimMessage | None = None) -> None:
    for item in checked:
        attachment = ClaimAttachment(claim=claim, message=message, uploaded_by=user, role=role,
                                     content_type=item.content_type, size=item.size,
                                     original_name=item.original_name)
        attachment.file.save(item.stored_name(), item.file, save=False)
        attachment.save()


def _vendor_emails(vendor_id: int) -> list[str]:
    from vendors.models import Membership

    return list(Membership.objects.filter(vendor_id=vendor_id, is_active=True)
                .values_list("user__email", flat=True))


def _notify_on_commit(claim_id: int, action: str) -> None:
    transaction.on_commit(lambda: claim_notify(claim_id=claim_id, action=action))


def _claim_action_label(action: str) -> str:
    labels = {
        "opened": _("the claim was opened"),
        "message_buyer": _("the buyer wrote a message"),
        "message_vendor": _("the seller wrote a message"),
        "message_admin": _("the platform wrote a message"),
        "vendor_accepted": _("the seller accepted the claim"),
        "vendor_rejected": _("the seller rejected the claim"),
        "escalated": _("the claim was escalated to the platform"),
        "withdrawn": _("the buyer withdrew the claim"),
        "return_received": _("the seller received the return"),
        "decided": _("the platform decided the claim"),
        "decision": _("the platform decided the claim"),
        "refund": _("a refund was issued"),
        "refunded": _("a refund was issued"),
    }
    return labels.get(action, action.replace("_", " "))


def claim_notify(*, claim_id: int, action: str) -> int:
    """Email the parties concerned by a claim step: the buyer and the seller's team, and platform
    admins once escalated. Each audience gets its own message with the link it can open (the
    buyer's claim page, the seller's dashboard, the operations console). Returns messages sent."""
    from accounts.models import User
    from frontend.urls import platform_url, vendor_url

    claim = Claim.objects.select_related("buyer", "vendor", "order").filter(pk=claim_id).first()
    if claim is None:
        return 0

    def render(url: str) -> tuple[str, str]:
        subject = _("Claim %(number)s on order %(order)s: %(status)s") % {
            "number": claim.number, "order": claim.order.number, "status": claim.get_status_display()}
        text = _("Claim %(number)s on order %(order)s (%(vendor)s): %(action)s.\nStatus: %(status)s") % {
            "number": claim.number, "order": claim.order.number, "vendor": claim.vendor.name,
            "action": _claim_action_label(action), "status": claim.get_status_display(),
        }
        link_label = _("Open the claim")
        return subject, f"{text}\n\n{link_label}: {url}\n"

    audiences: list[tuple[list[str], str]] = [
        ([claim.buyer.email], platform_url(f"/claims/{claim.pk}/")),
        (_vendor_emails(claim.vendor_id), vendor_url(claim.vendor, f"/dashboard/claims/{claim.pk}/")),
    ]
    if claim.status == S.ESCALATED or action in ("escalated", "message_admin"):
        admins = User.objects.filter(platform_role="admin", is_active=True).values_list("email", flat=True)
        audiences.append((list(admins), platform_url(f"/ops/claims/{claim.pk}/")))
    sent = 0
    for recipients, url in audiences:
        # Each audience in its own messages, and within it one per language of its members.
        sent += send_mail_localized(recipients, partial(render, url), fail_silently=True)
    return sent


# ---------------------------------------------------------------------------------------------
# opening a claim
# ---------------------------------------------------------------------------------------------
def _claim_reference_date(order: Order, sub_order: SubOrder) -> datetime:
    shipped = [t.get("shipped_at") for t in sub_order.tracking or [] if t.get("shipped_at")]
    if shipped:
        try:
            return max(datetime.fromisoformat(s) for s in shipped)
        except ValueError:
            pass
    return order.paid_at or order.created_at


@transaction.atomic
def claim_open(
    *, buyer: Any, order_id: Any, sub_order_id: Any, reason: Any, description: Any,
    lines: dict[Any, Any], attachments: Sequence[UploadedFile] = (), now: datetime | None = None,
) -> Claim:
    """Open a claim against one vendor's part of the buyer's paid order."""
    now = now or timezone.now()
    try:
        order = Order.objects.get(pk=int(order_id), buyer=buyer)
        sub = SubOrder.objects.select_for_update().select_related("vendor").get(pk=int(sub_order_id), order=order)
    except (Order.DoesNotExist, SubOrder.DoesNotExist, TypeError, ValueError):
        raise ClaimNotFound(_("Order not found.")) from None
    errors: dict[str, list[str]] = {}
    if reason not in Claim.Reason.values:
        errors["reason"] = [_("Choose a reason.")]
    text = str(description or "").strip()
    if not text:
        errors["description"] = [_("Describe the problem.")]
    elif len(text) > DESCRIPTION_MAX:
        errors["description"] = [_("At most %(n)s characters.") % {"n": DESCRIPTION_MAX}]
    wanted: dict[int, int] = {}
    for raw_id, raw_quantity in (lines or {}).items():
        if raw_quantity in (None, "", 0, "0"):
            continue
        try:
            wanted[int(raw_id)] = _positive_int(raw_quantity, f"line_{raw_id}")
        except (TypeError, ValueError):
            errors["lines"] = [_("Unknown order line.")]
        except ClaimInvalid as exc:
            errors.update(exc.fields)
    if not wanted and "lines" not in errors:
        errors["lines"] = [_("Select at least one item.")]
    if errors:
        raise ClaimInvalid(_("Please correct the claim."), fields=errors)
    if not order.is_paid or sub.status not in PAID_SUB_ORDER_STATUSES:
        raise ClaimNotAllowed(_("Only paid orders can be claimed."), code="order_not_paid")
    window = return_window_days(sub.vendor) if reason == Claim.Reason.RETURN else claim_window_days()
    if now > _claim_reference_date(order, sub) + timedelta(days=window):
        raise ClaimNotAllowed(
            _("The %(days)s-day window for this claim has passed.") % {"days": window}, code="claim_window_closed",
        )
    order_lines = {line.pk: line for line in OrderLine.objects.select_for_update().filter(sub_order=sub)}
    for line_id, quantity in wanted.items():
        line = order_lines.get(line_id)
        if line is None:
            raise ClaimInvalid(_("This item is not part of this seller's order."), fields={"lines": [str(line_id)]})
        claimable = line.quantity - line.cancelled_quantity
        if quantity > claimable:
            raise ClaimInvalid(_("At most %(n)s of %(name)s can be claimed.") % {"n": claimable, "name": line.name},
                               fields={f"line_{line_id}": [_("Too many.")]})
        if line.refunded_amount >= line_charge(line, order):
            raise ClaimNotAllowed(_("%(name)s is already fully refunded.") % {"name": line.name},
                                  code="line_already_refunded", fields={f"line_{line_id}": [_("Refunded.")]})
    if Claim.objects.filter(sub_order=sub, status__in=ACTIVE_STATUSES).exists():
        raise ClaimStateConflict(_("A claim on this seller's part of the order is already open."),
                                 code="claim_already_open")
    checked = attachments_check(list(attachments))
    try:
        with transaction.atomic():
            claim = Claim.objects.create(
                order=order, sub_order=sub, vendor=sub.vendor, buyer=buyer, reason=reason, description=text,
                currency=order.currency, respond_by=add_business_days(now, vendor_sla_business_days()),
            )
    except IntegrityError:
        raise ClaimStateConflict(_("A claim on this seller's part of the order is already open."),
                                 code="claim_already_open") from None
    ClaimLine.objects.bulk_create(ClaimLine(claim=claim, order_line_id=pk, quantity=q) for pk, q in wanted.items())
    _attachments_save(claim, checked, user=buyer, role=ClaimMessage.Role.BUYER)
    hold = _payouts_hook("transfer_hold_for_sub_order")
    if hold is not None:
        hold(sub_order_id=sub.pk, reason=_hold_reason_claim(claim))
    ClaimEvent.objects.create(claim=claim, actor=buyer, action="opened", to_status=S.OPEN,
                              data={"lines": {str(k): v for k, v in wanted.items()}, "reason": reason})
    _notify_on_commit(claim.pk, "opened")
    return claim


# ---------------------------------------------------------------------------------------------
# thread
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def claim_message_post(*, claim_id: Any, user: Any, role: str, body: Any,
                       attachments: Sequence[UploadedFile] = (), scope: dict[str, Any] | None = None) -> ClaimMessage:
    """A message in the claim's thread; admins join only once the claim is escalated."""
    claim = _locked_claim(claim_id, **(scope or {}))
    text = str(body or "").strip()
    if not text:
        raise ClaimInvalid(_("Write a message."), fields={"body": [_("Required.")]})
    if len(text) > DESCRIPTION_MAX:
        raise ClaimInvalid(_("The message is too long."), fields={"body": [_("Too long.")]})
    if claim.status in (S.CLOSED,) or claim.status.startswith("resolved_"):
        raise ClaimStateConflict(_("This claim is closed."), code="claim_closed")
    if role == ClaimMessage.Role.ADMIN and claim.status != S.ESCALATED:
        raise ClaimStateConflict(_("Admins join the conversation once the claim is escalated."),
                                 code="claim_not_escalated")
    checked = attachments_check(list(attachments))
    message = ClaimMessage.objects.create(claim=claim, author=user, role=role, body=text)
    _attachments_save(claim, checked, user=user, role=role, message=message)
    _notify_on_commit(claim.pk, f"message_{role}")
    return message


# ---------------------------------------------------------------------------------------------
# vendor answers
# ---------------------------------------------------------------------------------------------
def _amount(value: Any, maximum: int, currency: str, field: str = "amount") -> int:
    if value in (None, ""):
        return maximum
    amount = _positive_int(value, field)
    if amount > maximum:
        raise OverRefund(
            _("At most %(max)s can be refunded on this claim.") % {"max": format_money_localized(maximum, currency)},
            fields={field: [_("More than what is left to refund.")]},
        )
    return amount


@transaction.atomic
def claim_accept(
    *, claim_id: Any, vendor: Vendor, user: Any, amount: Any = None, return_required: bool = False,
    return_instructions: str = "", return_carrier: str = "", return_tracking_number: str = "",
) -> Claim:
    """The vendor accepts: refund now (full or partial), or once the return arrives."""
    claim = _locked_claim(claim_id, vendor=vendor)
    if claim.status != S.OPEN:
        raise ClaimStateConflict(_("Only open claims can be accepted."))
    sub = refund_basis_lock(claim)
    maximum = claim_refundable(claim)
    if maximum <= 0:
        raise OverRefund(_("Everything claimed is already refunded."), code="nothing_to_refund")
    value = _amount(amount, maximum, claim.currency)
    if return_required and not (return_instructions or "").strip():
        raise ClaimInvalid(_("Give the return address or label details."),
                           fields={"return_instructions": [_("Required for a return.")]})
    claim.accepted_amount = value
    if return_required:
        claim.return_status = Claim.ReturnStatus.AWAITED
        claim.return_instructions = return_instructions.strip()[:2000]
        claim.return_carrier = (return_carrier or "").strip()[:64]
        claim.return_tracking_number = (return_tracking_number or "").strip()[:64]
    _transition(claim, S.VENDOR_ACCEPTED, actor=user, action="vendor_accepted",
                data={"amount": value, "return_required": return_required},
                fields=["accepted_amount", "return_status", "return_instructions", "return_carrier",
                        "return_tracking_number"])
    if not return_required:
        _refund_and_resolve(claim, sub, amount=value, maximum=maximum, liability=Claim.Liability.VENDOR,
                            vendor_amount=value, actor=user)
    return claim


@transaction.atomic
def claim_return_received(*, claim_id: Any, vendor: Vendor, user: Any) -> Claim:
    """The goods came back: restock them in the vendor's schema, then refund what was accepted."""
    claim = _locked_claim(claim_id, vendor=vendor)
    if claim.status != S.VENDOR_ACCEPTED or claim.return_status != Claim.ReturnStatus.AWAITED:
        raise ClaimStateConflict(_("No return is awaited on this claim."), code="no_return_awaited")
    sub = refund_basis_lock(claim)  # before the stock rows, in the lock order of every refund
    claim_lines = list(claim.lines.select_related("order_line"))
    _restock(claim, claim_lines, user=user)
    claim.return_status = Claim.ReturnStatus.RECEIVED
    claim.save(update_fields=["return_status", "updated_at"])
    ClaimEvent.objects.create(claim=claim, actor=user, action="return_received",
                              data={"lines": {str(c.order_line_id): c.quantity for c in claim_lines}})
    maximum = claim_refundable(claim)
    amount = min(claim.accepted_amount, maximum)
    if amount <= 0:
        raise OverRefund(_("Everything claimed is already refunded."), code="nothing_to_refund")
    _refund_and_resolve(claim, sub, amount=amount, maximum=maximum, liability=Claim.Liability.VENDOR,
                        vendor_amount=amount, actor=user)
    return claim


def _restock(claim: Claim, claim_lines: list[ClaimLine], *, user: Any) -> None:
    from catalog.models import StockAdjustment, Variant

    with schema_context(_schema(claim.vendor)):
        for claim_line in claim_lines:
            if claim_line.restocked:
                continue
            variant_id = claim_line.order_line.variant_id
            if Variant.objects.filter(pk=variant_id).update(stock=F("stock") + claim_line.quantity):
                stock_after = Variant.objects.filter(pk=variant_id).values_list("stock", flat=True).get()
                StockAdjustment.objects.create(
                    variant_id=variant_id, delta=claim_line.quantity, stock_after=stock_after,
                    reason=StockAdjustment.Reason.RETURNED,
                    note=f"claim {claim.number} (order {claim.order.number}) returned"[:200],
                    user_id=getattr(user, "pk", None), user_email=getattr(user, "email", "") or "",
                )
    ClaimLine.objects.filter(pk__in=[c.pk for c in claim_lines]).update(restocked=True)


@transaction.atomic
def claim_reject(*, claim_id: Any, vendor: Vendor, user: Any, reason: Any) -> Claim:
    claim = _locked_claim(claim_id, vendor=vendor)
    text = str(reason or "").strip()
    if not text:
        raise ClaimInvalid(_("Say why the claim is rejected."), fields={"reason": [_("Required.")]})
    if claim.status != S.OPEN:
        raise ClaimStateConflict(_("Only open claims can be rejected."))
    claim.reject_reason = text[:DESCRIPTION_MAX]
    _transition(claim, S.VENDOR_REJECTED, actor=user, action="vendor_rejected", data={"reason": text},
                fields=["reject_reason"])
    return claim


# ---------------------------------------------------------------------------------------------
# buyer: escalate, withdraw
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def claim_escalate(*, claim_id: Any, user: Any = None, by: str = "buyer", now: datetime | None = None) -> Claim:
    """To the platform: by the buyer after an answer, or by the SLA when the vendor stayed silent."""
    now = now or timezone.now()
    scope = {"buyer": user} if by == "buyer" else {}
    claim = _locked_claim(claim_id, **scope)
    if by == "sla":
        if claim.status != S.OPEN or claim.respond_by > now:
            raise ClaimStateConflict(_("The seller still has time to answer."), code="sla_not_due")
    elif claim.status not in (S.VENDOR_REJECTED, S.VENDOR_ACCEPTED):
        raise ClaimStateConflict(_("You can escalate once the seller has answered."), code="escalation_not_allowed")
    claim.escalated_at = now
    claim.escalated_by = by
    _transition(claim, S.ESCALATED, actor=user, action="escalated", data={"by": by},
                fields=["escalated_at", "escalated_by"])
    return claim


@transaction.atomic
def claim_withdraw(*, claim_id: Any, buyer: Any) -> Claim:
    claim = _locked_claim(claim_id, buyer=buyer)
    _transition(claim, S.CLOSED, actor=buyer, action="withdrawn")
    return claim


def claims_escalate_overdue(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """The beat task's body: every open claim past its answer deadline goes to the platform."""
    now = now or timezone.now()
    due = list(Claim.objects.filter(status=S.OPEN, respond_by__lte=now)
               .order_by("respond_by").values_list("pk", flat=True)[:limit])
    escalated = []
    for claim_id in due:
        try:
            claim_escalate(claim_id=claim_id, by="sla", now=now)
        except ClaimStateConflict:
            continue  # answered meanwhile
        escalated.append(claim_id)
    return escalated


# ---------------------------------------------------------------------------------------------
# arbitration
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def claim_decide(
    *, claim_id: Any, admin: Any, outcome: Any, amount: Any = None, liability: Any = "vendor",
    vendor_amount: Any = None, note: Any = "",
) -> Claim:
    """An admin decides an escalated claim; the first decision wins, a second one gets a conflict."""
    claim = _locked_claim(claim_id)
    if claim.status != S.ESCALATED:
        raise ClaimStateConflict(
            _("This claim is no longer awaiting a decision (now: %(status)s).") % {"status": claim.get_status_display()},
            code="claim_already_decided" if claim.status.startswith("resolved_") else "claim_not_escalated",
        )
    text = str(note or "").strip()
    if outcome not in ("refund_full", "refund_partial", "deny"):
        raise ClaimInvalid(_("Choose a decision."), fields={"outcome": [_("Choose a decision.")]})
    claim.decided_by = admin
    claim.decision_note = text[:DESCRIPTION_MAX]
    if outcome == "deny":
        _transition(claim, S.RESOLVED_DENIED, actor=admin, action="decided",
                    data={"outcome": outcome, "note": text}, fields=["decided_by", "decision_note"])
        return claim
    if liability not in Claim.Liability.values:
        raise ClaimInvalid(_("Choose who bears the refund."), fields={"liability": [_("Required.")]})
    sub = refund_basis_lock(claim)
    maximum = claim_refundable(claim)
    if maximum <= 0:
        raise OverRefund(_("Everything claimed is already refunded."), code="nothing_to_refund")
    if outcome == "refund_full":
        value = maximum
    else:
        if amount in (None, ""):
            raise ClaimInvalid(_("Enter the amount to refund."), fields={"amount": [_("Required.")]})
        value = _amount(amount, maximum, claim.currency)
    if liability == Claim.Liability.VENDOR:
        vendor_part = value
    elif liability == Claim.Liability.PLATFORM:
        vendor_part = 0
    else:
        if vendor_amount in (None, ""):
            vendor_part = value // 2
        else:
            try:
                vendor_part = int(str(vendor_amount).strip())
            except ValueError:
                vendor_part = -1
            if not 0 <= vendor_part <= value:
                raise ClaimInvalid(_("The seller's part must be between 0 and the refund."),
                                   fields={"vendor_amount": [_("Out of range.")]})
    claim.liability = liability
    claim.save(update_fields=["decided_by", "decision_note", "liability", "updated_at"])
    ClaimEvent.objects.create(claim=claim, actor=admin, action="decision", from_status=claim.status,
                              data={"outcome": outcome, "amount": value, "liability": liability,
                                    "vendor_amount": vendor_part, "note": text})
    _refund_and_resolve(claim, sub, amount=value, maximum=maximum, liability=liability, vendor_amount=vendor_part,
                        actor=admin)
    return claim


# ---------------------------------------------------------------------------------------------
# refunds
# ---------------------------------------------------------------------------------------------
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
    _vendor_copy_refunded(claim, {line.pk: part for (line, _c), part in zip(caps, parts, strict=True) if part}, amount)
    claim.refunded_amount = F("refunded_amount") + amount
    claim.save(update_fields=["refunded_amount", "updated_at"])
    claim.refresh_from_db(fields=["refunded_amount"])
    _ledger_refund(claim=claim, refund=refund, platform_part=platform_part + commission_back)
    ClaimEvent.objects.create(claim=claim, actor=_user(actor), action="refund", data={
        "refund_id": refund.pk, "stripe_refund_id": result.id, "amount": amount, "vendor_amount": vendor_amount,
        "platform_amount": platform_part, "commission_refunded": commission_back, "key": key,
    })
    vendor_net = amount - platform_part - commission_back
    if vendor_net > 0:
        refund_id = refund.pk
        transaction.on_commit(lambda: _recover_later(refund_id))
    return refund


def _vendor_copy_refunded(claim: Claim, parts: dict[int, int], amount: int) -> None:
    """Keep the vendor's copy in step, so its sync back to the public order keeps these refunds."""
    from fulfillment.models import VendorOrder, VendorOrderLine

    with schema_context(_schema(claim.vendor)):
        copy = VendorOrder.objects.select_for_update().filter(sub_order_id=claim.sub_order_id).first()
        if copy is None:
            return
        for order_line_id, part in parts.items():
            VendorOrderLine.objects.filter(vendor_order=copy, order_line_id=order_line_id).update(
                refunded_amount=F("refunded_amount") + part)
        VendorOrder.objects.filter(pk=copy.pk).update(refunded_amount=F("refunded_amount") + amount)


def _ledger_refund(*, claim: Claim, refund: ClaimRefund, platform_part: int) -> None:
    """One refund entry: the vendor's payable drops by its part; the platform expenses the rest."""
    from payouts.ledger.postings import post_refund

    post_refund(
        order_id=claim.order_id, refund_id=refund.stripe_refund_id, currency=refund.currency,
        vendor_shares=[(claim.vendor_id, refund.amount, platform_part)], refund_commission=True,
        key=f"refund:claim:{claim.pk}:{refund.key}",
    )


def _recover_later(refund_id: int) -> None:
    from disputes.tasks import claim_refund_recover

    claim_refund_recover.delay(refund_id)


def claim_refund_recover(*, refund_id: int) -> bool:
    """Take the vendor's part back from its transfer when payouts can (else it stays owed)."""
    refund = ClaimRefund.objects.select_related("claim").filter(pk=refund_id).first()
    if refund is None:
        return False
    reverse = _payouts_hook("transfer_reverse_for_sub_order")
    amount = refund.amount - refund.platform_amount - refund.commission_refunded
    key = f"claimrefund:{refund.pk}"
    if _reversal_done(key):
        return True
    amount = min(amount, _transfer_left(refund.claim.sub_order_id))
    if reverse is None or amount <= 0:
        return False
    reverse(sub_order_id=refund.claim.sub_order_id, amount=amount, key=key,
            reason=f"claim {refund.claim.number} refund")
    return True


def _reversal_done(key: str) -> bool:
    from payouts.models import TransferReversal

    return TransferReversal.objects.filter(key=key).exists()


def _transfer_left(sub_order_id: int) -> int:
    """What payouts can still take back from the sub-order's transfer (the rest stays owed)."""
    from payouts.models import Transfer

    transfer = Transfer.objects.filter(sub_order_id=sub_order_id).first()
    return max(int(transfer.amount_due), 0) if transfer is not None else 0


def _payouts_hook(name: str) -> Any:
    """payouts' transfer services (built in parallel): absent → the ledger balance carries it."""
    try:
        from payouts import services as payouts_services
    except ImportError:  # pragma: no cover - payouts always importable
        return None
    return getattr(payouts_services, name, None)


# ---------------------------------------------------------------------------------------------
# chargebacks
# ---------------------------------------------------------------------------------------------
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
                             currency=chargeback.currency, vendor_recoveries=recoveries, key=key)
        if liable and chargeback.fee_amount:
            _ledger_fee_recovery(chargeback)
        for share in chargeback.shares.all():
            ChargebackShare.objects.filter(pk=share.pk).update(recovered_amount=share.amount if liable else 0)
    chargeback_id = chargeback.pk
    transaction.on_commit(lambda: chargeback_closed_after(chargeback_id=chargeback_id))


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
    hold = _payouts_hook("transfer_hold_for_sub_order")
    if hold is None:
        return
    for share in chargeback.shares.all():
        hold(sub_order_id=share.sub_order_id, reason=_hold_reason_chargeback(chargeback))


def _hold_reason_chargeback(chargeback: Chargeback) -> str:
    return f"chargeback {chargeback.stripe_dispute_id}"


def _holds_release(chargeback: Chargeback) -> None:
    release = _payouts_hook("transfer_release_hold")
    if release is None:
        return
    for share in chargeback.shares.all():
        release(sub_order_id=share.sub_order_id, reason=_hold_reason_chargeback(chargeback))


def chargeback_opened_after(*, chargeback_id: int) -> None:
    """After commit: tell the vendors involved (their funds are already held)."""
    from frontend.urls import vendor_url

    chargeback = Chargeback.objects.select_related("order").filter(pk=chargeback_id).first()
    if chargeback is None:
        return
    order = chargeback.order.number if chargeback.order else chargeback.charge_id
    for share in chargeback.shares.select_related("vendor"):
        url = vendor_url(share.vendor, f"/dashboard/chargebacks/{chargeback.pk}/")
        send_mail_localized(_vendor_emails(share.vendor_id), partial(_chargeback_opened_text, chargeback,
                                                                     order, share.amount, url), fail_silently=True)


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
    reverse = _payouts_hook("transfer_reverse_for_sub_order")
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
        if reverse is not None and use_reversal and amount > 0:
            reverse(sub_order_id=share.sub_order_id, amount=amount, key=key,
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
        checked = attachments_check([upload], field="file")[0]
        evidence.content_type = checked.content_type
        evidence.file.save(checked.stored_name(), checked.file, save=False)
    evidence.save()
    return evidence


EVIDENCE_FIELDS = ("uncategorized_text", "shipping_tracking_number", "shipping_carrier", "product_description",
                   "customer_communication", "refund_policy", "access_activity_log")


@transaction.atomic
def chargeback_evidence_submit(
    *, chargeback_id: Any, admin: Any, fields: dict[str, Any], now: datetime | None = None,
) -> Chargeback:
    """An admin assembles the vendors' evidence and submits it to the gateway (once)."""
    chargeback = _chargeback_for_update(chargeback_id)
    _evidence_open(chargeback, now or timezone.now())
    evidence = {name: str(fields.get(name) or "").strip()[:20000] for name in EVIDENCE_FIELDS}
    if not evidence["uncategorized_text"]:
        evidence["uncategorized_text"] = "\n\n".join(
            f"[{item.get_kind_display()}] {item.text}" for item in chargeback.evidence.all() if item.text)
    evidence = {k: v for k, v in evidence.items() if v}
    if not evidence:
        raise ClaimInvalid(_("There is no evidence to submit."), fields={"uncategorized_text": [_("Required.")]})
    gateway.dispute_update(dispute_id=chargeback.stripe_dispute_id, evidence=evidence, submit=True)
    chargeback.evidence_submitted_at = now or timezone.now()
    chargeback.evidence_submitted_by = admin
    chargeback.submitted_evidence = evidence
    chargeback.save(update_fields=["evidence_submitted_at", "evidence_submitted_by", "submitted_evidence",
                                   "updated_at"])
    return chargeback
