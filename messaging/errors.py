"""Errors of buyer-vendor messaging (stable codes for the API and the pages)."""

from __future__ import annotations

from common.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied


class ThreadNotFound(NotFound):
    code = "thread_not_found"


class MessageInvalid(ApplicationError):
    """Empty, too long, or with a file that is not accepted."""

    code = "message_invalid"


class BuyerBlocked(PermissionDenied):
    """The vendor blocked this buyer: new messages to it are refused."""

    code = "buyer_blocked"


class ThreadNotAllowed(ApplicationError):
    """The thread cannot be started (own store, a listing not on sale, an order part not the buyer's)."""

    code = "thread_not_allowed"


class AlreadyReported(Conflict):
    code = "message_already_reported"


class SenderBanned(PermissionDenied):
    """The platform stopped this user from sending messages."""

    code = "messaging_banned"


class ReportInvalid(ApplicationError):
    """A moderation decision without a valid action or a required reason."""

    code = "report_invalid"


class ReportAlreadyDecided(Conflict):
    code = "report_already_decided"
