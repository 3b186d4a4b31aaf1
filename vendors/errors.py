"""Errors of onboarding, review and vendor administration (stable codes for API clients)."""

from __future__ import annotations

from common.exceptions import ApplicationError, Conflict, NotFound


class InvalidApplication(ApplicationError):
    code = "invalid_application"


class ApplicationIncomplete(ApplicationError):
    code = "application_incomplete"


class InvalidTransition(Conflict):
    """The application or vendor is not in a state that allows this decision."""

    code = "invalid_transition"


class SlugUnavailable(Conflict):
    code = "slug_taken"


class InvalidUpload(ApplicationError):
    code = "invalid_upload"


class ReasonRequired(ApplicationError):
    code = "reason_required"


class InvitationInvalid(NotFound):
    code = "invitation_invalid"


class InvitationEmailMismatch(ApplicationError):
    code = "invitation_email_mismatch"
    status_code = 403


class OffboardingConflict(Conflict):
    """A second offboarding while one runs, or a reopening after the schema was dropped."""

    code = "offboarding_conflict"


class InvalidSellerIdentity(ApplicationError):
    """A DAC7 identity field is missing or malformed (TIN, VAT ID, IBAN, birth date...)."""

    code = "invalid_seller_identity"
