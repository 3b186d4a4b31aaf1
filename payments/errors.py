"""Typed errors of the payments gateway and of webhook intake (stable codes, no Stripe types)."""

from __future__ import annotations

from typing import Any

from common.exceptions import ApplicationError


class GatewayError(ApplicationError):
    """A payment-provider call failed; `code` is ours, `gateway_code` the provider's."""

    code = "gateway_error"
    status_code = 502

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        gateway_code: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        http_status: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        fields = {param: [message]} if param else None
        super().__init__(message, code=code, fields=fields, extra=extra)
        self.gateway_code = gateway_code
        self.param = param
        self.request_id = request_id
        self.http_status = http_status


class CardDeclined(GatewayError):
    code = "card_declined"
    status_code = 402

    def __init__(self, message: str, *, decline_code: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.decline_code = decline_code


class AuthenticationRequired(GatewayError):
    """The card needs 3-D Secure and the buyer is not there to complete it."""

    code = "authentication_required"
    status_code = 402


class GatewayUnavailable(GatewayError):
    """Network errors, 429 or 5xx that outlasted every retry."""

    code = "gateway_unavailable"
    status_code = 503
    # The gateway already retried for up to its deadline: a few seconds more is a fair next try.
    retry_after = 5


class IdempotencyConflict(GatewayError):
    """The same idempotency key was used before with other parameters."""

    code = "idempotency_conflict"
    status_code = 409


class InvalidGatewayRequest(GatewayError):
    code = "invalid_gateway_request"
    status_code = 400


class ResourceMissing(GatewayError):
    code = "resource_missing"
    status_code = 404


class GatewayMisconfigured(GatewayError):
    """Bad API key or a key without access: an operator must fix the settings."""

    code = "gateway_misconfigured"
    status_code = 500


class WebhookRejected(ApplicationError):
    """An inbound webhook that is not stored: bad signature, stale, malformed, unknown account."""

    code = "webhook_rejected"
    status_code = 400


class WebhookEventNotReplayable(ApplicationError):
    code = "webhook_not_replayable"
    status_code = 409
