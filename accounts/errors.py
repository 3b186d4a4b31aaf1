"""Errors of the accounts app's staff actions (stable codes)."""

from __future__ import annotations

from common.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied


class UserNotFound(NotFound):
    code = "user_not_found"


class UserActionRefused(PermissionDenied):
    """Staff may not do this to this account (themselves, another admin)."""

    code = "user_action_refused"


class UserStateConflict(Conflict):
    """The account is already in the state asked for (disabled, enabled, without 2FA)."""

    code = "user_state_conflict"


class IdentityChecksIncomplete(ApplicationError):
    """Resetting a second factor needs every identity check ticked and a reason."""

    code = "identity_checks_incomplete"


class ImpersonationRefused(PermissionDenied):
    code = "impersonation_refused"


class ImpersonationReadOnly(PermissionDenied):
    code = "impersonation_read_only"
