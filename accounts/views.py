"""Account pages of our own (allauth has the rest): the API tokens one holds, to revoke."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts import tokens
from accounts.errors import ImpersonationRefused
from common.hosts import platform_url


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
    """End an impersonation (django-hijack's session) and go back to the user's page in ops (on
    a vendor host, where it was handed off to: sign out, then the platform host's page)."""
    from accounts import impersonation

    impersonated = request.user
    if impersonation.is_handed_off(request):
        impersonation.impersonation_handoff_stop(request=request)
        return redirect(platform_url(f"/ops/users/{impersonated.pk}/", request))
    try:
        impersonation.impersonation_stop(request=request)
    except ImpersonationRefused as exc:
        raise PermissionDenied(exc.message) from exc
    return redirect(f"/ops/users/{impersonated.pk}/")


@require_GET
def impersonation_handoff(request: HttpRequest) -> HttpResponse:
    """A vendor host's end of an impersonation started in ops (accounts.impersonation): the
    one-time token signs this host's session in as the vendor's user, read-only, then the
    dashboard (the token leaves the address bar at once)."""
    from accounts import impersonation
    from accounts.permissions import current_vendor

    try:
        impersonation.impersonation_handoff_redeem(request=request, token=request.GET.get("token", ""),
                                                   vendor=current_vendor(request))
    except ImpersonationRefused as exc:
        return render(request, "403.html", {"message": exc.message}, status=403)
    return redirect("/dashboard/")
