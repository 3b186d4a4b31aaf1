"""Account pages of our own (allauth has the rest): the API tokens one holds, to revoke."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import tokens


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/tokens.html",
                  {"tokens": tokens.api_tokens_for(user=request.user)})  # type: ignore[arg-type]


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_key: str) -> HttpResponse:
    tokens.api_token_revoke(user=request.user, token_key=token_key)  # type: ignore[arg-type]
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse("")  # the row goes away
    return redirect("account-api-tokens")


@require_POST
def impersonation_stop(request: HttpRequest) -> HttpResponse:
    """End an impersonation (django-hijack's session) and go back to the user's page in ops."""
    from accounts.errors import ImpersonationRefused
    from accounts.impersonation import impersonation_stop as stop

    impersonated = request.user
    try:
        stop(request=request)
    except ImpersonationRefused as exc:
        raise PermissionDenied(exc.message) from exc
    return redirect(f"/ops/users/{impersonated.pk}/")
