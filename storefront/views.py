"""The storefront settings page of the vendor dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.permissions import vendor_member_required
from accounts.roles import VendorRole
from common.exceptions import ApplicationError
from storefront import services
from storefront.forms import StorefrontSettingsForm
from vendors.forms import apply_error


@vendor_member_required(VendorRole.MANAGER)
def storefront_settings(request: HttpRequest) -> HttpResponse:
    current = services.storefront_settings_get()
    status = 200
    if request.method == "POST":
        form = StorefrontSettingsForm(request.POST, request.FILES)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.storefront_settings_update(
                    logo=data.pop("logo"), banner=data.pop("banner"), **data
                )
            except ApplicationError as error:
                apply_error(form, error)
                status = 400
            else:
                messages.success(request, _("Storefront settings saved."))
                return redirect("dashboard-storefront")
        else:
            status = 400
    else:
        form = StorefrontSettingsForm(initial={
            "name": current.name, "description": current.description,
            "shipping_policy": current.shipping_policy, "returns_policy": current.returns_policy,
            "support_email": current.support_email,
        })
    return render(request, "storefront/settings.html", {"form": form, "current": current},
                  status=status)
