"""The claim state machine: its transition table, locking a claim, and each move with its event row."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from disputes.errors import (
    ClaimInvalid,
    ClaimNotAllowed,
    ClaimNotFound,
    ClaimStateConflict,
)
from disputes.models import (
    Claim,
    ClaimEvent,
)
from disputes.services.notices import _notify_on_commit
from payouts.transfers import transfer_release_hold
from vendors.models import Vendor

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
        transfer_release_hold(sub_order_id=claim.sub_order_id, reason=_hold_reason_claim(claim))
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
