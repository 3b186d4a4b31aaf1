"""Closing a store: the owner's dashboard page (close, status, export download) and the ops page
(close, reopen). The work after the close is `support.services.offboarding`'s."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import roles
from accounts.permissions import current_vendor, ops_required, vendor_member_required
from accounts.roles import VendorRole
from common.exceptions import ApplicationError
from support.services.offboarding import offboarding_waiting_for
from support.views_privacy import private_zip_response
from vendors import services as vendor_services
from vendors.models import Vendor
from vendors.storage import private_storage


def _context(vendor: Vendor) -> dict[str, object]:
    return {"vendor": vendor, "offboarding": vendor.offboardings.first(),
            "waiting": offboarding_waiting_for(vendor=vendor)}


@vendor_member_required(VendorRole.OWNER)
def dashboard_close(request: HttpRequest) -> HttpResponse:
    vendor = current_vendor(request)
    error = None
    if request.method == "POST":
        try:
            vendor_services.vendor_close(vendor=vendor, actor=request.user, reason=request.POST.get("reason", ""))
        except ApplicationError as exc:
            error = exc
        else:
            messages.success(request, _("Your store is closed: your listings are hidden and no new orders come in."))
            return redirect("dashboard-close")
    vendor = Vendor.objects.get(pk=vendor.pk)
    return render(request, "support/dashboard/close.html", {**_context(vendor), "error": error},
                  status=error.status_code if error else 200)


@vendor_member_required(VendorRole.OWNER)
@require_GET
def dashboard_close_export(request: HttpRequest) -> HttpResponse:
    offboarding = current_vendor(request).offboardings.exclude(export_file="").first()
    if offboarding is None:
        raise Http404
    return private_zip_response(private_storage().open(offboarding.export_file, "rb"),
                                f"store-export-{offboarding.pk}.zip")


@ops_required(roles.is_platform_admin)
def ops_vendor_offboarding(request: HttpRequest, vendor_id: int) -> HttpResponse:
    vendor = get_object_or_404(Vendor, pk=vendor_id)
    return render(request, "support/ops/offboarding.html", _context(vendor))


@ops_required(roles.is_platform_admin)
@require_POST
def ops_vendor_offboarding_action(request: HttpRequest, vendor_id: int, action: str) -> HttpResponse:
    vendor = get_object_or_404(Vendor, pk=vendor_id)
    if action not in ("close", "reopen"):
        raise Http404
    try:
        if action == "close":
            vendor_services.vendor_close(vendor=vendor, actor=request.user, reason=request.POST.get("reason", ""))
        else:
            vendor_services.vendor_reopen(vendor=vendor, actor=request.user, reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Store closed.") if action == "close" else _("Store reopened."))
    return redirect("ops-vendor-offboarding", vendor_id=vendor.pk)

