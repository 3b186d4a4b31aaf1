"""The vendor's dashboard pages of takedowns: what the platform took down and why, and the appeal."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.permissions import current_vendor, vendor_member_required
from accounts.roles import VendorRole
from common.exceptions import ApplicationError
from support import selectors
from support.services import takedowns


@vendor_member_required()
@require_GET
def dashboard_takedowns(request: HttpRequest) -> HttpResponse:
    return render(request, "support/dashboard/takedowns.html", {
        "takedowns": selectors.takedowns_for_vendor(vendor=current_vendor(request))})


@vendor_member_required(VendorRole.MANAGER)
def dashboard_takedown(request: HttpRequest, takedown_id: int) -> HttpResponse:
    vendor = current_vendor(request)
    takedown = selectors.takedowns_for_vendor(vendor=vendor).filter(pk=takedown_id).first()
    if takedown is None:
        raise Http404
    error = None
    if request.method == "POST":
        try:
            takedowns.takedown_appeal(takedown_id=takedown.pk, vendor=vendor, actor=request.user,
                                      text=request.POST.get("appeal_text", ""))
        except ApplicationError as exc:
            error = exc
        else:
            messages.success(request, _("Your appeal is sent; the marketplace will decide on it."))
            return redirect("dashboard-takedown", takedown_id=takedown.pk)
    return render(request, "support/dashboard/takedown.html", {"takedown": takedown, "error": error},
                  status=error.status_code if error else 200)
