"""The emulator's error type, rendered in Stripe's `{"error": {...}}` shape."""

from __future__ import annotations

from typing import Any


class StripeError(Exception):
    """An API error with Stripe's HTTP status, type, code, message and param."""

    def __init__(
        self,
        status: int,
        type_: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        extra: dict[str, Any] | None = None,
        replayable: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.extra = extra or {}
        # Stripe saves an idempotent result only once the endpoint started executing
        # (card declines, state conflicts), not for rejected parameters.
        self.replayable = replayable

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "type": self.type,
            "code": self.code,
            "message": self.message,
            "param": self.param,
        }
        if self.decline_code is not None:
            error["decline_code"] = self.decline_code
        if self.code:
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        error.update(self.extra)
        return {"error": error}

    @classmethod
    def invalid(
        cls, message: str, *, param: str | None = None, code: str | None = None
    ) -> StripeError:
        return cls(
            400, "invalid_request_error", message, code=code or "parameter_invalid", param=param
        )

    @classmethod
    def missing(cls, param: str) -> StripeError:
        return cls(
            400,
            "invalid_request_error",
            f"Missing required param: {param}.",
            code="parameter_missing",
            param=param,
        )

    @classmethod
    def not_found(cls, kind: str, object_id: str, param: str = "id") -> StripeError:
        return cls(
            404,
            "invalid_request_error",
            f"No such {kind}: '{object_id}'",
            code="resource_missing",
            param=param,
        )

    @classmethod
    def state(cls, message: str, *, code: str | None, param: str | None = None) -> StripeError:
        """A request that is well formed but not allowed in the object's current state."""
        return cls(400, "invalid_request_error", message, code=code, param=param, replayable=True)
