"""Impersonation for support (django-hijack, docs/adr/0074): who may see the site as whom, the
read-only rule while they do, and the audit entries of each session's start and end."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model, login, logout
from django.core import signing
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from hijack import signals as hijack_signals
from hijack.views import keep_session_age

from accounts import roles
from accounts.audit_capture import HIJACK_HISTORY
from accounts.errors import ImpersonationReadOnly, ImpersonationRefused
from accounts.staff_sessions import DEADLINE_KEY
from common.api import error_body

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# The end of the session and signing out stay possible while impersonating.
ALWAYS_ALLOWED_PATHS = ("/accounts/impersonation/stop/", "/accounts/logout/")

# Sessions are per host: seeing a vendor's dashboard as one of its users starts on the platform
# host (the admin's session, second factor included) and is handed to the vendor's host by a
# signed, short-lived, single-use token bound to that host's schema (docs/adr/0074).
HANDOFF_SALT = "accounts.impersonation.handoff"
HANDOFF_MAX_AGE = 60  # seconds: the redirect follows at once
# The used tokens' nonces; a "shared" key (common.cache), so no host ever accepts one twice.
HANDOFF_USED_KEY = "impersonation:handoff:"
# Set on a vendor host's impersonating session: the admin has no session of their own there,
# so stopping signs out instead of switching back.
HANDOFF_SESSION_KEY = "impersonation_handoff"


def impersonation_refusal(*, hijacker: Any, hijacked: Any) -> str | None:
    """Why `hijacker` may not see the site as `hijacked`, or None when allowed: only platform
    admins (with their second factor when staff need one), never as staff, an inactive account,
    themselves, or from inside another impersonation."""
    if not roles.acts_as_platform_admin(hijacker):
        return _("Only platform admins may impersonate users.")
    if hijacked.pk == hijacker.pk:
        return _("You cannot impersonate yourself.")
    if hijacked.is_staff or hijacked.is_superuser or roles.can_access_ops(hijacked):
        return _("Staff and admin accounts cannot be impersonated.")
    if not hijacked.is_active:
        return _("This account is disabled; enable it before seeing the site as its user.")
    return None


def impersonation_allowed(*, hijacker: Any, hijacked: Any) -> bool:
    """HIJACK_PERMISSION_CHECK: django-hijack's own views ask this (the same rule as ours)."""
    return impersonation_refusal(hijacker=hijacker, hijacked=hijacked) is None


def is_impersonating(request: HttpRequest) -> bool:
    return bool(hasattr(request, "session") and request.session.get(HIJACK_HISTORY))


class ImpersonationReadOnlyMiddleware:
    """While an admin impersonates a user, any unsafe method (a form post, an API write) is
    refused with 403, except ending the impersonation, unless IMPERSONATION_ALLOW_WRITES is on
    (then the writes go through and their audit entries name the admin)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (request.method not in SAFE_METHODS and is_impersonating(request)
                and not settings.IMPERSONATION_ALLOW_WRITES
                and not request.path.startswith(ALWAYS_ALLOWED_PATHS)):
            return _write_refused(request)
        return self.get_response(request)


def _write_refused(request: HttpRequest) -> HttpResponse:
    message = _("You are seeing the site as another user, read-only: nothing can be changed. "
                "Stop impersonating to act as yourself.")
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(error_body(ImpersonationReadOnly.code, message), status=403)
    return render(request, "403.html", {"message": message}, status=403)


def impersonation_start(*, request: HttpRequest, target: Any) -> None:
    """Sign this browser session in as `target`, remembering the admin (django-hijack's session
    history); the admin's staff-session deadline carries over, so impersonating never extends it."""
    hijacker = request.user
    if is_impersonating(request):
        raise ImpersonationRefused(_("Stop the current impersonation first."))
    refusal = impersonation_refusal(hijacker=hijacker, hijacked=target)
    if refusal:
        raise ImpersonationRefused(refusal)
    _switch(request, target, history=[str(hijacker.pk)])
    hijack_signals.hijack_started.send(sender=None, request=request, hijacker=hijacker, hijacked=target)


def impersonation_stop(*, request: HttpRequest) -> Any:
    """Back to the admin who started it; returns the admin."""
    history = request.session.get(HIJACK_HISTORY) or []
    if not history:
        raise ImpersonationRefused(_("You are not impersonating anyone."))
    hijacked = request.user
    hijacker = get_user_model()._default_manager.get(pk=history[0])
    _switch(request, hijacker, history=[])
    hijack_signals.hijack_ended.send(sender=None, request=request, hijacker=hijacker, hijacked=hijacked)
    return hijacker


def impersonation_handoff_issue(*, request: HttpRequest, target: Any, schema_name: str, vendor_id: int) -> str:
    """A token that starts, once, on the host of `schema_name`, an impersonation of `target` (a
    member of that vendor: the caller checks) by the admin of this request. Refused as a start
    here would be."""
    hijacker = request.user
    if is_impersonating(request):
        raise ImpersonationRefused(_("Stop the current impersonation first."))
    refusal = impersonation_refusal(hijacker=hijacker, hijacked=target)
    if refusal:
        raise ImpersonationRefused(refusal)
    return signing.dumps({
        "admin": hijacker.pk, "user": target.pk, "schema": schema_name, "vendor": vendor_id,
        "nonce": secrets.token_urlsafe(16), "until": request.session.get(DEADLINE_KEY),
    }, salt=HANDOFF_SALT)


def impersonation_handoff_redeem(*, request: HttpRequest, token: str, vendor: Any) -> Any:
    """On a vendor host: check the token (signature, age, this host's schema, never used
    before, the admin and the user still allowed, the user still a member of `vendor`), then sign
    this host's session in as the user, read-only, remembering the admin. Returns the user."""
    refused = ImpersonationRefused(_("This impersonation link is not valid here, has expired or was used."))
    try:
        claim = signing.loads(token or "", salt=HANDOFF_SALT, max_age=HANDOFF_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        raise refused from None
    if claim.get("schema") != getattr(connection, "schema_name", None) or vendor is None or claim.get("vendor") != vendor.pk:
        raise refused
    if not cache.add(f"{HANDOFF_USED_KEY}{claim['nonce']}", 1, timeout=HANDOFF_MAX_AGE * 2):
        raise refused
    users = get_user_model()._default_manager
    hijacker, target = users.filter(pk=claim["admin"]).first(), users.filter(pk=claim["user"]).first()
    if hijacker is None or target is None:
        raise refused
    refusal = impersonation_refusal(hijacker=hijacker, hijacked=target)
    if refusal:
        raise ImpersonationRefused(refusal)
    if roles.vendor_role(target, vendor) is None:
        raise ImpersonationRefused(_("This user is not a member of this store."))
    request.session.flush()  # whoever was signed in on this host in this browser
    _switch(request, target, history=[str(hijacker.pk)])
    request.session[HANDOFF_SESSION_KEY] = True
    request.session.set_expiry(0)  # ends with the browser, if not stopped or past the deadline before
    if claim.get("until") is not None:  # the admin's staff-session deadline holds here too
        request.session[DEADLINE_KEY] = claim["until"]
    hijack_signals.hijack_started.send(sender=None, request=request, hijacker=hijacker, hijacked=target)
    return target


def impersonation_handoff_stop(*, request: HttpRequest) -> Any:
    """End a handed-off impersonation: the audit entry, then sign out (the admin has no session on
    this host to go back to). Returns the user that was impersonated."""
    history = request.session.get(HIJACK_HISTORY) or []
    hijacked = request.user
    hijacker = get_user_model()._default_manager.filter(pk=history[0]).first() if history else None
    hijack_signals.hijack_ended.send(sender=None, request=request, hijacker=hijacker, hijacked=hijacked)
    logout(request)
    return hijacked


def is_handed_off(request: HttpRequest) -> bool:
    return bool(is_impersonating(request) and request.session.get(HANDOFF_SESSION_KEY))


def _switch(request: HttpRequest, user: Any, *, history: list[str]) -> None:
    deadline = request.session.get(DEADLINE_KEY)
    backend = request.session.get(BACKEND_SESSION_KEY, settings.AUTHENTICATION_BACKENDS[0])
    # A sign-in as another user starts a new session (login() flushes it): keep its age.
    with hijack_signals.no_update_last_login(), keep_session_age(request.session):
        login(request, user, backend=backend)
    request.session[HIJACK_HISTORY] = history
    if deadline is not None:
        request.session[DEADLINE_KEY] = deadline
    else:
        request.session.pop(DEADLINE_KEY, None)


def _where(request: HttpRequest) -> dict[str, Any]:
    """The host the session runs on, and its vendor on a vendor host (the entry's vendor)."""
    tenant = getattr(request, "tenant", None)
    vendor = getattr(tenant, "vendor", None) if getattr(tenant, "schema_name", "public") != "public" else None
    return {"host": request.get_host(), "vendor_id": vendor.pk if vendor is not None else None}


def hijack_started_audit(sender: Any, hijacker: Any, hijacked: Any, request: HttpRequest, **kwargs: Any) -> None:
    from accounts.audit import audit_action

    where = _where(request)
    audit_action(actor=hijacker, action="impersonation.start", target=hijacked, request=request,
                 after={"read_only": not settings.IMPERSONATION_ALLOW_WRITES, "host": where["host"]},
                 vendor_id=where["vendor_id"], vendor_visible=False)


def hijack_ended_audit(sender: Any, hijacker: Any, hijacked: Any, request: HttpRequest, **kwargs: Any) -> None:
    from accounts.audit import audit_action

    where = _where(request)
    audit_action(actor=hijacker, action="impersonation.stop", target=hijacked, request=request,
                 after={"host": where["host"]}, vendor_id=where["vendor_id"], vendor_visible=False)
