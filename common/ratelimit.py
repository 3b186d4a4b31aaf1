"""Rate limits for pages and API endpoints, keyed by account and client address, on all hosts."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.throttling import BaseThrottle

_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}

View = TypeVar("View", bound=Callable[..., HttpResponse])


@dataclass(frozen=True)
class Rate:
    amount: int
    seconds: int
    per: str  # "user" (the account), "ip" (the client address) or "" (each of them)


def rate_parse(text: str) -> list[Rate]:
    """`"10/10m/user,50/10m/ip"`, `"120/m"`: amounts per window, for the account, the address,
    or (no suffix) each of them; the units are s, m, h, d, optionally with a count (`10m`)."""
    rates = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        amount, period, *per = part.split("/")
        digits = "".join(ch for ch in period if ch.isdigit())
        unit = period[len(digits):]
        if unit not in _UNITS or per not in ([], ["user"], ["ip"]):
            raise ValueError(f"unknown rate {part!r}")
        rates.append(Rate(int(amount), int(digits or 1) * _UNITS[unit], per[0] if per else ""))
    return rates


def client_address(request: HttpRequest) -> str:
    """The client's address: X-Forwarded-For read through the trusted proxy count, the same rule
    as allauth's sign-in limits (ALLAUTH_TRUSTED_PROXY_COUNT), so every limit sees one address."""
    from allauth.account.adapter import get_adapter

    return str(get_adapter(request).get_client_ip(request))


def _subjects(request: HttpRequest, user: Any, per: str) -> list[str]:
    subjects = []
    if per in ("", "ip"):
        subjects.append(f"ip:{client_address(request)}")
    if per in ("", "user") and user is not None and user.is_authenticated:
        subjects.append(f"user:{user.pk}")
    return subjects


def rate_limit_hit(request: HttpRequest, scope: str, *, user: Any = None) -> int | None:
    """Count one request of `scope` against its account and its address; None when allowed,
    else the seconds until the window ends (for Retry-After). Limits: settings.RATE_LIMITS.
    `user`: the API's authenticated user (DRF's); pages pass none and use the session's."""
    if user is None:
        user = getattr(request, "user", None)
    retry_after = None
    for rate in rate_parse(settings.RATE_LIMITS.get(scope, "")):
        for subject in _subjects(request, user, rate.per):
            key = f"ratelimit:{scope}:{rate.amount}/{rate.seconds}:{subject}"
            # Fixed window: the first hit creates the counter with the window as its lifetime.
            cache.add(key, 0, timeout=rate.seconds)
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr: this hit opens a new window
                cache.add(key, 1, timeout=rate.seconds)
                count = 1
            if count > rate.amount:
                ttl = cache.ttl(key) if hasattr(cache, "ttl") else rate.seconds
                retry_after = max(retry_after or 0, int(ttl or rate.seconds), 1)
    return retry_after


def rate_limited_page(request: HttpRequest, retry_after: int) -> HttpResponse:
    context = {"retry_after": retry_after, "retry_minutes": -(-retry_after // 60)}
    response = render(request, "429.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def rate_limit(scope: str, *, methods: tuple[str, ...] = ("POST",),
               when: Callable[[HttpRequest], bool] | None = None) -> Callable[[View], View]:
    """Page decorator: over the limit, a 429 page with Retry-After instead of the view. `when`:
    which of those requests count (e.g. not a form's live refresh)."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in methods and (when is None or when(request)):
                retry_after = rate_limit_hit(request, scope)
                if retry_after is not None:
                    return rate_limited_page(request, retry_after)
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


class RateLimitThrottle(BaseThrottle):
    """DRF throttle over the same counters: the view names its `rate_limit_scope`; over the limit
    DRF answers 429 with Retry-After (the error body is the project's: common.api)."""

    def __init__(self) -> None:
        self._wait: int | None = None

    def allow_request(self, request: Any, view: Any) -> bool:  # type: ignore[override]
        scope = getattr(view, "rate_limit_scope", None)
        if scope is None:
            return True
        self._wait = rate_limit_hit(request._request, scope, user=request.user)
        return self._wait is None

    def wait(self) -> int | None:  # type: ignore[override]
        return self._wait
