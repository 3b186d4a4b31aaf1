"""OpenAPI: the schema class every API view is described by, and the error body's component."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.fields import CharField, ListField
from rest_framework.permissions import AllowAny
from rest_framework.serializers import ListSerializer

from common.api import Pagination


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `invalid`, `not_found`.")
    message = serializers.CharField(help_text="Human-readable, in the request's language.")
    # Declared fields move into `_declared_fields` (metaclass): nothing shadows `Serializer.fields`.
    fields = serializers.DictField(help_text="Per-field messages of `invalid` (may be empty).")  # type: ignore[assignment]


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer (common.api.error_body)."""

    error = ErrorDetailSerializer()


# What each error status means on this API; an operation lists those it can answer with.
ERROR_DESCRIPTIONS = {
    "400": "`invalid` (with `fields`) or a domain rule's code: the request cannot be carried out as sent.",
    "401": "`not_authenticated` or `authentication_failed`: no, an unknown or an expired token.",
    "403": "`permission_denied`, `mfa_required` or a domain code: the account may not do this here "
           "(also a session request without its CSRF token).",
    "404": "`not_found` or a domain code: no such object for this account on this host "
           "(another party's id answers the same); on a list, a page past the last.",
    "409": "A domain code (e.g. `conflict`): the object's state does not allow this now.",
    "413": "`request_too_large`: the declared body is larger than the upload limit.",
    "415": "`unsupported_media_type`: send the body as one of the documented content types.",
    "429": "`rate_limited`: too many requests; retry after `Retry-After` seconds.",
}
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class ApiSchema(AutoSchema):
    """drf-spectacular's schema, told two house conventions it cannot infer from an `APIView`:

    - every list a GET answers with is a page of `common.api.Pagination` (`count`, `next`,
      `previous`, `results`), or of the view's own `pagination_class`;
    - request strings carry what DRF's CharField refuses (no NUL character; a required text
      needs a visible character, since surrounding whitespace is trimmed) and lists that may
      not be empty say so (`minItems`), so a request valid by the schema is valid for the view;
    - a view whose PATCH body is validated whole (`patch_is_partial = False`) gets its request
      body with its required fields, not drf-spectacular's all-optional `Patched` copy;
    - every error is `{"error": {"code", "message", "fields"}}`, and each operation lists the
      statuses it can answer with, read from the view: authentication and permission classes,
      throttles, request body, path and query parameters, unsafe method.
    """

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> Any:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request" or not isinstance(schema, dict):
            return schema
        if (isinstance(field, CharField) and schema.get("type") == "string"
                and not ({"format", "pattern", "enum"} & schema.keys())):
            schema["pattern"] = "^[^\\x00]*$" if field.allow_blank else "^[^\\x00]*[^\\s\\x00][^\\x00]*$"
        if isinstance(field, (ListField, ListSerializer)) and not field.allow_empty:
            schema["minItems"] = max(1, schema.get("minItems", 0))
        return schema

    def _get_request_for_media_type(self, serializer: Any, direction: Any = "request") -> Any:
        if self.method == "PATCH" and not getattr(self.view, "patch_is_partial", True):
            self.method = "PUT"  # drf-spectacular marks every PATCH body partial
            try:
                return super()._get_request_for_media_type(serializer, direction)
            finally:
                self.method = "PATCH"
        return super()._get_request_for_media_type(serializer, direction)

    def _get_paginator(self) -> Any:
        # Only a read is paged: the rows a POST answers with (stock moves, a bulk update's
        # results, from the stock branch) are the whole result, a plain array.
        if self.method != "GET":
            return None
        return (getattr(self.view, "pagination_class", None) or Pagination)()

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        error = self.resolve_serializer(ErrorSerializer(), "response").ref
        for status in self._error_statuses():
            responses.setdefault(status, {
                "description": ERROR_DESCRIPTIONS[status],
                "content": {"application/json": {"schema": error}},
            })
        return dict(sorted(responses.items()))

    def _error_statuses(self) -> list[str]:
        view = self.view
        parameters = self._get_parameters()
        has_query = any(p.get("in") == "query" for p in parameters)
        has_path = any(p.get("in") == "path" for p in parameters)
        has_body = self.method in {"POST", "PUT", "PATCH"} and bool(self._get_request_body())
        authenticators = list(getattr(view, "authentication_classes", []))
        open_to_all = all(issubclass(p, AllowAny) for p in getattr(view, "permission_classes", []))
        throttled = bool(getattr(view, "throttle_classes", [])) and bool(getattr(view, "rate_limit_scope", None))
        statuses = []
        if has_body or has_query or self.method in _UNSAFE:
            statuses.append("400")
        if authenticators:  # an unknown or expired token is refused even where anyone may call
            statuses.append("401")
        if not open_to_all or (authenticators and self.method in _UNSAFE):
            statuses.append("403")
        acts_on_objects = self.method in _UNSAFE and bool(authenticators)  # ids in the body, states
        if has_path or acts_on_objects or self._is_list_view():
            statuses.append("404")
        if acts_on_objects:
            statuses.append("409")
        if has_body:
            statuses += ["413", "415"]
        if throttled:
            statuses.append("429")
        return statuses
