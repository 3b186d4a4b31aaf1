"""Errors of reviews (stable codes for the API and the pages)."""

from __future__ import annotations

from common.exceptions import ApplicationError, Conflict, NotFound


class ReviewNotFound(NotFound):
    code = "review_not_found"


class ReviewNotAllowed(ApplicationError):
    """The user may not review this order line (not theirs, or not received yet)."""

    code = "review_not_allowed"
    status_code = 403


class ReviewInvalid(ApplicationError):
    code = "review_invalid"


class InvalidReviewPhoto(ApplicationError):
    code = "invalid_review_photo"


class ReviewExists(Conflict):
    code = "review_exists"


class ReviewStateConflict(Conflict):
    code = "review_state_conflict"


class AlreadyVoted(Conflict):
    code = "already_voted"


class AlreadyReported(Conflict):
    code = "already_reported"
