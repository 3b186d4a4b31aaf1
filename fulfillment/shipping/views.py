"""Dashboard › Settings › Shipping: zones, their methods and rates (vendor host).

Every member may look; only owners and managers change them (accounts' roles). Methods are added
and removed in place with htmx (the methods list comes back), and without it by a redirect.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import current_vendor, vendor_member_required
from accounts.roles import VendorRole, has_vendor_role
from common.exceptions import ApplicationError, NotFound
from fulfillment.shipping import selectors, services
from fulfillment.shipping.forms import MethodForm, ZoneForm, errors_apply
from fulfillment.shipping.models import ShippingZone


def _zone_or_404(zone_id: int) -> ShippingZone:
    try:
        return selectors.shipping_zone_get(zone_id=zone_id)
    except NotFound as exc:
        raise Http404 from exc


def _currency(request: HttpRequest) -> str:
    return str(current_vendor(request).currency)


def _can_change(request: HttpRequest) -> bool:
    return bool(has_vendor_role(request.user, current_vendor(request), VendorRole.MANAGER))


@vendor_member_required(VendorRole.STAFF)
def shipping_settings(request: HttpRequest) -> HttpResponse:
    return render(request, "fulfillment/shipping/settings.html", {
        "zones": selectors.shipping_zones_list(), "currency": _currency(request), "can_change": _can_change(request),
    })


@vendor_member_required(VendorRole.MANAGER)
def shipping_zone_new(request: HttpRequest) -> HttpResponse:
    zone_form = ZoneForm(request.POST or None, prefix="zone")
    method_form = MethodForm(request.POST or None, prefix="method", currency=_currency(request),
                             initial={"name": _("Standard")})
    if request.method == "POST" and zone_form.is_valid() and method_form.is_valid():
        data = services.ZoneInput(
            name=zone_form.cleaned_data["name"], countries=zone_form.cleaned_data["countries"],
            regions=zone_form.cleaned_data["regions"], rest_of_world=zone_form.cleaned_data["rest_of_world"],
            methods=(method_form.method_input(),))
        try:
            zone = services.shipping_zone_create(data=data, actor=request.user)
        except ApplicationError as error:
            errors_apply(error, zone_form=zone_form, method_form=method_form)
        else:
            messages.success(request, _("Zone %(zone)s saved.") % {"zone": zone.name})
            return redirect("dashboard-shipping-zone", zone_id=zone.pk)
    return render(request, "fulfillment/shipping/zone_new.html",
                  {"zone_form": zone_form, "method_form": method_form},
                  status=400 if request.method == "POST" else 200)


def _zone_page(request: HttpRequest, zone: ShippingZone, *, zone_form: ZoneForm | None = None,
               method_form: MethodForm | None = None, status: int = 200, partial: bool = False) -> HttpResponse:
    context: dict[str, Any] = {
        "zone": zone, "currency": _currency(request), "partial": partial,
        "zone_form": zone_form or ZoneForm(prefix="zone", initial={
            "name": zone.name, "countries": ", ".join(zone.countries), "regions": ", ".join(zone.regions),
            "rest_of_world": zone.rest_of_world}),
        "method_form": method_form or MethodForm(prefix="method", currency=_currency(request)),
    }
    template = "fulfillment/shipping/_methods.html" if partial else "fulfillment/shipping/zone.html"
    return render(request, template, context, status=status)


@vendor_member_required(VendorRole.MANAGER)
def shipping_zone(request: HttpRequest, zone_id: int) -> HttpResponse:
    zone = _zone_or_404(zone_id)
    if request.method != "POST":
        return _zone_page(request, zone)
    form = ZoneForm(request.POST, prefix="zone")
    if form.is_valid():
        try:
            services.shipping_zone_edit(zone_id=zone.pk, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            errors_apply(error, zone_form=form, method_form=None)
        else:
            messages.success(request, _("Zone %(zone)s saved.") % {"zone": form.cleaned_data["name"]})
            return redirect("dashboard-shipping-zone", zone_id=zone.pk)
    return _zone_page(request, zone, zone_form=form, status=400)


@require_POST
@vendor_member_required(VendorRole.MANAGER)
def shipping_zone_delete(request: HttpRequest, zone_id: int) -> HttpResponse:
    try:
        services.shipping_zone_delete(zone_id=zone_id, actor=request.user)
    except NotFound as exc:
        raise Http404 from exc
    messages.success(request, _("Zone deleted."))
    return redirect("dashboard-shipping")


@require_POST
@vendor_member_required(VendorRole.MANAGER)
def shipping_method_add(request: HttpRequest, zone_id: int) -> HttpResponse:
    zone = _zone_or_404(zone_id)
    form = MethodForm(request.POST, prefix="method", currency=_currency(request))
    htmx = request.headers.get("HX-Request") == "true"
    if form.is_valid():
        try:
            services.shipping_method_add(zone_id=zone.pk, data=form.method_input(), actor=request.user)
        except ApplicationError as error:
            errors_apply(error, zone_form=None, method_form=form)
        else:
            if not htmx:
                return redirect("dashboard-shipping-zone", zone_id=zone.pk)
            return _zone_page(request, _zone_or_404(zone.pk), partial=True)
    return _zone_page(request, zone, method_form=form, status=400, partial=htmx)


@require_POST
@vendor_member_required(VendorRole.MANAGER)
def shipping_method_delete(request: HttpRequest, zone_id: int, method_id: int) -> HttpResponse:
    zone = _zone_or_404(zone_id)
    htmx = request.headers.get("HX-Request") == "true"
    try:
        services.shipping_method_delete(zone_id=zone.pk, method_id=method_id, actor=request.user)
    except NotFound as exc:
        raise Http404 from exc
    except ApplicationError as error:
        messages.error(request, error.message)
    if not htmx:
        return redirect("dashboard-shipping-zone", zone_id=zone.pk)
    return _zone_page(request, _zone_or_404(zone.pk), partial=True)
