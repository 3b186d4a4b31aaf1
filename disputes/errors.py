"""Errors of claims and chargebacks (stable codes for the API and the pages)."""

from __future__ import annotations

from common.exceptions import ApplicationError, Conflict, NotFound


class ClaimNotFound(NotFound):
    code = "claim_not_found"


class ChargebackNotFound(NotFound):
    code = "chargeback_not_found"


class ClaimInvalid(ApplicationError):
    code = "claim_invalid"


class ClaimNotAllowed(ApplicationError):
    """The order or line cannot be claimed (unpaid, refunded, outside the window...)."""

    code = "claim_not_allowed"


class ClaimStateConflict(Conflict):
    """The claim is not in a state that allows the action (also: another admin decided first)."""

    code = "claim_state_conflict"


class OverRefund(ApplicationError):
    code = "over_refund"


class InvalidAttachment(ApplicationError):
    code = "invalid_attachment"


class EvidenceDeadlinePassed(ApplicationError):
    code = "evidence_deadline_passed"


class ChargebackClosed(Conflict):
    code = "chargeback_closed"


class ChargebackOrderNotPaidYet(Conflict):
    """A dispute event arrived before the order's payment event: the webhook is retried later."""

    code = "chargeback_order_not_paid_yet"
