"""How the audit log learns who, from where and for which vendor (docs/adr/0073): the entry
manager django-auditlog writes through, and the middleware that puts the request's person and
address in its context."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from auditlog.models import LogEntryManager
from django.contrib.auth import get_user_model
from django.db import connection
from django.http import HttpRequest, HttpResponse

from common.ratelimit import client_address

VENDOR_LABEL = "vendors.vendor"
HIJACK_HISTORY = "hijack_history"  # django-hijack's session key: the impersonators' ids, first is the real one
_VERBS = {0: "create", 1: "update", 2: "delete", 3: "access"}


def _has_vendor_field(model: Any) -> bool:
    return any(field.name == "vendor" for field in model._meta.concrete_fields)


def vendor_id_of(instance: Any) -> int | None:
    """The vendor a changed row belongs to: itself (a vendor), its `vendor`, or the `vendor` of
    the row it hangs from (a claim's event, a transfer's event, a vendor part's order event)."""
    if instance._meta.label_lower == VENDOR_LABEL:
        return int(instance.pk) if instance.pk is not None else None
    if getattr(instance, "vendor_id", None) is not None:
        return int(instance.vendor_id)
    for field in instance._meta.concrete_fields:
        linked = field.many_to_one and getattr(instance, field.attname, None) is not None
        if linked and _has_vendor_field(field.related_model):
            return getattr(getattr(instance, field.name), "vendor_id", None)
    return _schema_vendor_id()


def _schema_vendor_id() -> int | None:
    """In a vendor's schema (its host's request, its task), the vendor of that schema."""
    tenant = getattr(connection, "tenant", None)
    if tenant is None or getattr(connection, "schema_name", "public") == "public":
        return None
    vendor = getattr(tenant, "vendor", None)  # the Store's reverse one-to-one, cached on the tenant
    return int(vendor.pk) if vendor is not None else None


def _vendor_visible(instance: Any) -> bool:
    # Order events carry their audience: what only staff read stays out of the vendor's log.
    return getattr(instance, "audience", "") != "staff"


class AuditLogEntryManager(LogEntryManager):  # type: ignore[misc]  # untyped third-party base
    def log_create(self, instance: Any, force_log: bool = False, **kwargs: Any) -> Any:
        """django-auditlog's entry of a model change, with the fields of ADR 0073 filled in."""
        label = instance._meta.label_lower
        happened = getattr(instance, "action", None) or getattr(instance, "kind", None)
        # An audit row of another app (vendors.AuditEntry, ClaimEvent…) says what happened.
        if kwargs.get("action") == 0 and isinstance(happened, str) and label in FEEDING_MODELS:
            kwargs.setdefault("verb", f"{label.split('.')[0]}.{happened}"[:64])
        kwargs.setdefault("verb", f"{label}.{_VERBS.get(kwargs.get('action', 1), 'change')}")
        kwargs.setdefault("target_type", label)
        kwargs.setdefault("vendor_id", vendor_id_of(instance))
        kwargs.setdefault("vendor_visible", _vendor_visible(instance))
        kwargs.setdefault("schema_name", getattr(connection, "schema_name", ""))
        for key, value in request_context().items():
            if kwargs.get(key) is None:
                kwargs[key] = value
        if label in FEEDING_MODELS:
            # The audit row names who did it and why: outside a request (a task, a command, a
            # service called directly) the entry still has its actor and reason.
            row_actor = getattr(instance, "actor", None)
            if kwargs.get("actor") is None and isinstance(row_actor, get_user_model()):
                kwargs["actor"] = row_actor
            row_reason = getattr(instance, "reason", "")
            if not kwargs.get("reason") and isinstance(row_reason, str):
                kwargs["reason"] = row_reason
        if kwargs.get("actor") is not None:
            kwargs.setdefault("actor_email", kwargs["actor"].email)
        return super().log_create(instance, force_log=force_log, **kwargs)


# The per-app audit rows that feed the platform log (each creation is one entry, ADR 0073).
FEEDING_MODELS = frozenset({
    "vendors.auditentry", "support.deadletterevent", "disputes.claimevent", "orders.orderevent",
    "payouts.transferevent",
})


_current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


def request_actor(request: HttpRequest | None) -> tuple[Any, Any]:
    """(the person accountable, whom they impersonate): while an admin impersonates a user,
    `request.user` is that user and the admin is the actor."""
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return None, None
    history = request.session.get(HIJACK_HISTORY) if hasattr(request, "session") else None
    if history:
        admin = get_user_model()._default_manager.filter(pk=history[0]).first()
        return admin, user
    return user, None


def request_context(request: HttpRequest | None = None) -> dict[str, Any]:
    """Who and from where, for an entry written now: of `request`, else of the request being
    served (none in a task or a command: the entry has no actor, the system did it)."""
    request = request if request is not None else _current_request.get()
    if request is None:
        return {}
    actor, acting_as = request_actor(request)
    return {"actor": actor, "acting_as": acting_as, "remote_addr": client_address(request)}


class AuditContextMiddleware:
    """Remembers the request being served, so that a registered model saved anywhere during it is
    logged with its actor and address. Nothing is read until an entry is written: the user and
    the session are looked up then (DRF's token authentication sets the user on this request too)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)
