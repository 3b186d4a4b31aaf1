"""The buyer's privacy page (/accounts/privacy/): export my data, erase my account, the download."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from common.exceptions import ApplicationError
from support.errors import PrivacyExportNotFound
from support.models import PrivacyRequest
from support.services import privacy


def _page(request: HttpRequest, *, error: ApplicationError | None = None, status: int = 200) -> HttpResponse:
    return render(request, "support/privacy.html", {
        "requests": PrivacyRequest.objects.filter(user_id=int(request.user.pk or 0))[:20],
        "blockers": privacy.erasure_blockers(user=request.user), "retention": privacy.RETENTION_NOTICE,
        "error": error,
    }, status=status)


@login_required
@require_GET
def privacy_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def privacy_export(request: HttpRequest) -> HttpResponse:
    privacy.privacy_export_request(user=request.user, actor=request.user)
    messages.success(request, _("Your export is being prepared; we will email you a download link."))
    return redirect("account-privacy")


@login_required
@require_POST
def privacy_erase(request: HttpRequest) -> HttpResponse:
    if request.POST.get("confirm") != "ERASE":
        return _page(request, error=ApplicationError(_("Type ERASE to confirm.")), status=400)
    try:
        privacy.buyer_erase(user_id=int(request.user.pk or 0), actor=request.user)
    except ApplicationError as exc:
        return _page(request, error=exc, status=exc.status_code)
    logout(request)
    messages.success(request, _("Your personal data has been erased. %(retention)s")
                     % {"retention": privacy.RETENTION_NOTICE})
    return redirect("/")


@login_required
@require_GET
def privacy_export_download(request: HttpRequest, request_id: int) -> HttpResponse:
    try:
        export, handle = privacy.privacy_export_open(request_id=request_id, token=request.GET.get("token", ""),
                                                     user=request.user)
    except PrivacyExportNotFound as exc:
        raise Http404 from exc
    return private_zip_response(handle, f"my-data-{export.pk}.zip")


def private_zip_response(handle: Any, filename: str) -> Any:
    """A private ZIP as a download: never sniffed, never cached on the way."""
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type="application/zip")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
