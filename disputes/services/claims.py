"""A claim's life: opening, the thread, the vendor's answers, escalation, withdrawal and arbitration."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from common.money import format_money_localized
from disputes.errors import (
    ClaimInvalid,
    ClaimNotAllowed,
    ClaimNotFound,
    ClaimStateConflict,
    OverRefund,
)
from disputes.models import (
    ACTIVE_STATUSES,
    Claim,
    ClaimEvent,
    ClaimLine,
    ClaimMessage,
)
from disputes.services.amounts import (
    PAID_SUB_ORDER_STATUSES,
    claim_refundable,
    line_charge,
    refund_basis_lock,
)
from disputes.services.attachments import _attachments_save, attachments_check
from disputes.services.notices import _notify_on_commit
from disputes.services.policy import (
    add_business_days,
    claim_window_days,
    return_window_days,
    vendor_sla_business_days,
)
from disputes.services.refunds import _refund_and_resolve
from disputes.services.transitions import (
    _hold_reason_claim,
    _locked_claim,
    _positive_int,
    _schema,
    _transition,
)
from orders.models import Order, OrderLine, SubOrder
from payouts.transfers import transfer_hold_for_sub_order
from vendors.models import Vendor

S = Claim.Status


DESCRIPTION_MAX = 5000


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
    transfer_hold_for_sub_order(sub_order_id=sub.pk, reason=_hold_reason_claim(claim))
    ClaimEvent.objects.create(claim=claim, actor=buyer, action="opened", to_status=S.OPEN,
                              data={"lines": {str(k): v for k, v in wanted.items()}, "reason": reason})
    _notify_on_commit(claim.pk, "opened")
    return claim


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
    from catalog.services import stock_restock

    lines = [(c.order_line.variant_id, c.quantity) for c in claim_lines if not c.restocked]
    if lines:
        with schema_context(_schema(claim.vendor)):
            stock_restock(lines=lines, note=f"claim {claim.number} (order {claim.order.number}) returned",
                          user_id=getattr(user, "pk", None), user_email=getattr(user, "email", "") or "")
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
