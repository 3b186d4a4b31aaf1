"""The project's error base: every domain error has a stable code and maps to one HTTP status."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A domain rule was broken; `code` is stable and shown to API clients."""

    code = "application_error"
    status_code = 400
    # Seconds after which the same request may succeed (a `Retry-After` header), when it may.
    retry_after: int | None = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}
        self.extra = extra or {}


class NotFound(ApplicationError):
    code = "not_found"
    status_code = 404


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    status_code = 403


class Conflict(ApplicationError):
    """The object is not in a state that allows the action (wrong state, duplicate, race)."""

    code = "conflict"
    status_code = 409
