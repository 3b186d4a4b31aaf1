"""Staff actions on user accounts: disable and enable, force a password reset, reset the second
factor after identity checks. Each is one transaction with its audit entry (docs/adr/0075)."""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.password_reset import request_password_reset
from allauth.mfa.models import Authenticator
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from accounts.audit import audit_action
from accounts.errors import (
    IdentityChecksIncomplete,
    UserActionRefused,
    UserNotFound,
    UserStateConflict,
)
from accounts.models import User
from accounts.tokens import api_tokens_revoke_all

# What support confirms before removing someone's second factor (all of them, ticked in the form).
IDENTITY_CHECKS: dict[str, str] = {
    "email_control": "The request came from the account's email address, answered from it",
    "account_details": "The person confirmed details only the account holder knows (a recent order, an address)",
    "no_recent_change": "The account's email or password was not changed in the last 7 days",
}


def _locked(user_id: int, *, actor: Any) -> User:
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise UserNotFound(_("No such user."))
    if user.pk == actor.pk:
        raise UserActionRefused(_("You cannot do this to your own account."))
    if roles.is_platform_admin(user) and not actor.is_superuser:
        raise UserActionRefused(_("Only a superuser can do this to a platform admin."))
    return user


def _required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise IdentityChecksIncomplete(_("Give a reason."), fields={"reason": [_("Give a reason.")]})
    return reason


def _sessions_end(user: User) -> int:
    """Delete the database sessions signed in as `user` (read: each holds the user's id)."""
    ended = [s.session_key for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
             if str(s.get_decoded().get("_auth_user_id")) == str(user.pk)]
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)


@transaction.atomic
def user_disable(*, user_id: int, actor: Any, reason: str, request: HttpRequest | None = None) -> User:
    """No sign-in (password, API token or an open session) works for the account any more."""
    reason = _required_reason(reason)
    user = _locked(user_id, actor=actor)
    if not user.is_active:
        raise UserStateConflict(_("This account is already disabled."))
    user.is_active = False
    user.save(update_fields=["is_active"])
    tokens = api_tokens_revoke_all(user=user)
    sessions = _sessions_end(user)
    audit_action(actor=actor, action="user.disable", target=user, before={"is_active": True},
                 after={"is_active": False, "api_tokens_revoked": tokens, "sessions_ended": sessions},
                 reason=reason, request=request, vendor_visible=False)
    return user


@transaction.atomic
def user_enable(*, user_id: int, actor: Any, reason: str, request: HttpRequest | None = None) -> User:
    reason = _required_reason(reason)
    user = _locked(user_id, actor=actor)
    if user.is_active:
        raise UserStateConflict(_("This account is not disabled."))
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_action(actor=actor, action="user.enable", target=user, before={"is_active": False},
                 after={"is_active": True}, reason=reason, request=request, vendor_visible=False)
    return user


@transaction.atomic
def user_password_reset_force(*, user_id: int, actor: Any, reason: str, request: HttpRequest) -> User:
    """The old password stops working at once (and with it every session and API token); the
    user gets an email with a link to choose a new one."""
    reason = _required_reason(reason)
    user = _locked(user_id, actor=actor)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    tokens = api_tokens_revoke_all(user=user)
    sessions = _sessions_end(user)
    audit_action(actor=actor, action="user.password_reset_forced", target=user,
                 after={"password_usable": False, "api_tokens_revoked": tokens, "sessions_ended": sessions},
                 reason=reason, request=request, vendor_visible=False)
    # The link's token is made from the new (unusable) password, after the commit.
    transaction.on_commit(lambda: request_password_reset(request, user.email, [user], None))
    return user


@transaction.atomic
def user_mfa_reset(*, user_id: int, actor: Any, checks: list[str], reason: str,
                   request: HttpRequest | None = None) -> User:
    """Remove every authenticator (app, recovery codes) once support has checked who asks; the
    user signs in with the password alone and enrols again."""
    missing = [key for key in IDENTITY_CHECKS if key not in set(checks)]
    if missing:
        raise IdentityChecksIncomplete(_("Confirm every identity check first."), fields={"checks": missing})
    reason = _required_reason(reason)
    user = _locked(user_id, actor=actor)
    kinds = sorted(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    if not kinds:
        raise UserStateConflict(_("This account has no two-factor authentication to reset."))
    Authenticator.objects.filter(user=user).delete()
    tokens = api_tokens_revoke_all(user=user)
    audit_action(actor=actor, action="user.mfa_reset", target=user, before={"authenticators": kinds},
                 after={"authenticators": [], "identity_checks": sorted(checks), "api_tokens_revoked": tokens},
                 reason=reason, request=request, vendor_visible=False)
    return user
