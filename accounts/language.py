"""A person's language: remembered when they choose it or sign up, used for their pages on any
host (the language cookie is per host) and for the emails sent to them (ADR 0032)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.i18n import set_language as django_set_language


def language_valid(code: str | None) -> str:
    """`code` when it is one of the platform's languages, else ''."""
    return code if code in dict(settings.LANGUAGES) else ""


def user_language_remember(*, user: Any, code: str | None) -> bool:
    """Store `code` as the user's language (when valid and different). Returns True if stored."""
    code = language_valid(code)
    if not code or not getattr(user, "is_authenticated", False) or user.language == code:
        return False
    from accounts.models import User

    User.objects.filter(pk=user.pk).update(language=code)
    user.language = code
    return True


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switcher (sets the cookie), which also remembers the choice on the
    signed-in user's account."""
    response = django_set_language(request)
    if request.method == "POST":
        user_language_remember(user=request.user, code=request.POST.get("language"))
    return response


# A page's language named in its URL (`?lang=de`): the hreflang alternates search engines follow
# (ADR 0090). It wins over the cookie and the account for that one response and is not remembered.
LANGUAGE_QUERY_PARAM = "lang"


class UserLanguageMiddleware:
    """After authentication: a signed-in user without a language cookie on this host gets the
    language stored on their account (LocaleMiddleware has only seen Accept-Language); a page
    asked for in a language (`?lang=`) is shown in it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (settings.LANGUAGE_COOKIE_NAME not in request.COOKIES and user is not None
                and user.is_authenticated and language_valid(user.language)):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language  # type: ignore[attr-defined]
        asked = language_valid(request.GET.get(LANGUAGE_QUERY_PARAM))
        if asked:
            translation.activate(asked)
            request.LANGUAGE_CODE = asked  # type: ignore[attr-defined]
        return self.get_response(request)


def user_signed_up_remember_language(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """allauth signal: the language the person signed up in becomes theirs."""
    if not user.language:
        user_language_remember(user=user, code=translation.get_language())
