"""allauth adapter: sign-in limits shared by every host and answered with a 429 page."""

from __future__ import annotations

from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.internal.ratelimit import parse_rates  # internal: allauth's own rate parser
from django.http import HttpRequest

from accounts import roles
from accounts.permissions import current_vendor
from common.ratelimit import rate_limited_page

TOO_MANY_ATTEMPTS = "too_many_login_attempts"


class SignInRateLimited(ImmediateHttpResponse):
    """The account or the client address has used up its sign-in attempts (page, 2FA or API)."""

    def __init__(self, request: HttpRequest, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(rate_limited_page(request, retry_after))


def login_failed_window() -> int:
    """Seconds a client waits at most: the longest window of the failed-sign-in limits."""
    rates = parse_rates(account_settings.RATE_LIMITS.get("login_failed"))
    return int(max((rate.duration for rate in rates), default=60))


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """On a vendor's host its staff came to work: the dashboard, not the storefront (a
        `next` the sign-in form carries still wins; allauth checks it before asking here)."""
        vendor = current_vendor(request)
        if vendor is not None and roles.vendor_role(request.user, vendor):
            return "/dashboard/"
        return str(super().get_login_redirect_url(request))

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth keys the per-account counter by the site's domain, which without
        # django.contrib.sites is the request's host: each vendor host gave fresh tries.
        return str(credentials.get("email", credentials.get("username", ""))).lower()

    def validation_error(self, code: str, *args: Any) -> Any:
        # allauth reports a lockout (password or 2FA code) as a form error with status 200;
        # answer 429 with Retry-After instead, as every other limit does.
        if code == TOO_MANY_ATTEMPTS and context.request is not None:
            raise SignInRateLimited(context.request, login_failed_window())
        return super().validation_error(code, *args)

    def login_attempt_succeeded(self) -> None:
        """Give back the attempt `pre_authenticate` counted (allauth does it inside
        `authenticate`; the token endpoint decides only after the 2FA code)."""
        self._rollback_login_failed_rl_usage()
