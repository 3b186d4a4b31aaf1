"""Email, password and 2FA code checked for the API under the sign-in page's own limits."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext

from accounts.adapters import SignInRateLimited
from common.exceptions import ApplicationError


class InvalidCredentials(ApplicationError):
    code = "invalid_credentials"
    status_code = 401


class EmailUnverified(ApplicationError):
    code = "email_unverified"
    status_code = 403


def credentials_check(*, request: HttpRequest, email: str, password: str, code: str) -> Any:
    """The user, if the password (and, with 2FA, the code) is right; else InvalidCredentials.

    One answer for a wrong password, a missing code and a wrong code, so that the answer never
    tells that the password was right. Every failure counts against the same failed-sign-in
    limits as the sign-in page (per account and per client address, on every host); over them,
    SignInRateLimited (429). Only a complete success gives the attempt back.
    """
    adapter = get_adapter(request)
    adapter.pre_authenticate(request, email=email)  # raises SignInRateLimited
    user = authenticate(request, email=email, password=password)
    if user is not None and is_mfa_enabled(user) and not _mfa_code_accepted(request, user, code):
        user = None
    if user is None:
        raise InvalidCredentials(gettext(
            "Email, password or code is wrong. Accounts with two-factor authentication send the "
            "code from their authenticator app as well."))
    adapter.login_attempt_succeeded()
    return user


def _mfa_code_accepted(request: HttpRequest, user: Any, code: str) -> bool:
    """An authenticator app code (each used once, on every host) or an unused recovery code,
    under the 2FA page's own limit for this account."""
    if not code:
        return False
    # The 2FA sign-in stage's counter (allauth.mfa: "mfa-auth-user-<id>"), so code guesses on the
    # page and here add up. When it is used up the code is not even tried, and the answer stays
    # the same 401: a 429 here would tell that the password was right.
    key = f"mfa-auth-user-{user.pk}"
    if not ratelimit.consume(request, action="login_failed", key=key):
        return False
    authenticators = Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES])
    if any(authenticator.wrap().validate_code(code) for authenticator in authenticators):
        ratelimit.clear(request, action="login_failed", key=key)
        return True
    return False


def email_verified(user: Any) -> bool:
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


__all__ = ["EmailUnverified", "InvalidCredentials", "SignInRateLimited", "credentials_check",
           "email_verified"]
