"""Platform staff sessions end PLATFORM_STAFF_SESSION_SECONDS after sign-in (12 h), whatever the
"remember me" lifetime buyers and vendors get (two weeks)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from accounts import roles

# Epoch seconds after which this staff session is over (absolute: activity does not extend it).
DEADLINE_KEY = "staff_session_until"


def user_logged_in_reset_staff_deadline(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """auth signal: each sign-in starts a new deadline (Django keeps the session's data when the
    same user signs in again), saved with the sign-in's session. allauth sets its own expiry after
    this signal, so the middleware caps it again on the way out of the sign-in response."""
    if request is None or not hasattr(request, "session"):
        return
    request.session.pop(DEADLINE_KEY, None)
    if roles.can_access_ops(user):
        deadline = int(time.time()) + settings.PLATFORM_STAFF_SESSION_SECONDS
        request.session[DEADLINE_KEY] = deadline
        request.session.set_expiry(dt.datetime.fromtimestamp(deadline, tz=dt.UTC))


class StaffSessionMiddleware:
    """After authentication: signs out a staff session past its deadline; on the way out gives a
    staff session its deadline and caps the session's expiry to it (allauth sets two weeks at
    sign-in, after the login signal, so the cap is applied here, on every staff response)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        deadline = request.session.get(DEADLINE_KEY) if hasattr(request, "session") else None
        if deadline is not None and time.time() >= deadline:
            logout(request)
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and roles.can_access_ops(user):
            deadline = request.session.setdefault(DEADLINE_KEY, int(time.time()) + settings.PLATFORM_STAFF_SESSION_SECONDS)
            expiry = dt.datetime.fromtimestamp(deadline, tz=dt.UTC)
            if request.session.get_expiry_date() != expiry:
                request.session.set_expiry(expiry)
        return response
