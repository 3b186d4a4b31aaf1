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
