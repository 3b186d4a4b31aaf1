"""Errors of the support app (stable codes)."""

from __future__ import annotations

from common.exceptions import ApplicationError, Conflict, NotFound


class DeadLetterNotFound(NotFound):
    code = "dead_letter_not_found"


class DeadLetterNotOpen(Conflict):
    """A dead letter already retried or discarded cannot be acted on again."""

    code = "dead_letter_not_open"


class DeadLetterRetryUnavailable(ApplicationError):
    """The broker refused the message: nothing changed, the letter stays open."""

    code = "task_queue_unavailable"
    status_code = 503


class InvalidSupportRequest(ApplicationError):
    """A form of the console was filled in wrongly (a missing reason, an amount that is not a number)."""

    code = "invalid_support_request"


class RefundExceedsRemaining(Conflict):
    """More than what is left to refund on the order or the vendor's part was asked for."""

    code = "refund_exceeds_remaining"


class RefundNotAllowed(Conflict):
    """The order was never paid, or its part has nothing to refund."""

    code = "refund_not_allowed"


class ListingNotFound(NotFound):
    code = "listing_not_found"


class ListingAlreadyGone(Conflict):
    """The listing is deleted by its vendor or already taken down."""

    code = "listing_already_gone"


class TakedownNotFound(NotFound):
    code = "takedown_not_found"


class TakedownStateConflict(Conflict):
    """The takedown is not in a state that allows the action (appealed twice, decided already)."""

    code = "takedown_state_conflict"


class ErasureRefused(Conflict):
    """The buyer has an open claim or an unpaid order: erasing now would break them."""

    code = "erasure_refused"


class PrivacyExportNotFound(NotFound):
    code = "privacy_export_not_found"
