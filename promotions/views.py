"""Promotion pages: a vendor's sales and codes (dashboard), the platform's coupons (ops console)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.permissions import current_vendor, ops_required, vendor_member_required
from catalog.models import Product
from common.exceptions import ApplicationError
from marketplace.models import Category
from promotions import selectors, services
from promotions.forms import PlatformPromotionForm, PromotionForm, VendorPromotionForm
from promotions.models import Promotion
from vendors.models import Vendor

PAGE_SIZE = 25


def _categories() -> list[tuple[int, str]]:
    return list(Category.objects.order_by("path").values_list("pk", "path"))


def _errors_to_form(form: PromotionForm, exc: ApplicationError) -> None:
    for field, errors in (exc.fields or {}).items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)
    if not any(field in form.fields for field in exc.fields or {}):
        form.add_error(None, exc.message)


def _page(request: HttpRequest, promotions: Any) -> Any:
    return Paginator(promotions, PAGE_SIZE).get_page(request.GET.get("page"))


# ---------------------------------------------------------------------------------------------
# vendor dashboard (vendor host): its own sales and codes, never another vendor's
# ---------------------------------------------------------------------------------------------
def _vendor_form(vendor: Vendor, data: Any = None) -> VendorPromotionForm:
    # The products of this host's own schema (the request's tenant).
    products = list(Product.objects.exclude(status=Product.Status.ARCHIVED).order_by("name")
                    .values_list("pk", "name")[:500])
    return VendorPromotionForm(data, categories=_categories(), products=products,
                               initial={"currency": vendor.currency, "kind": Promotion.Kind.PERCENT})


@vendor_member_required()
def vendor_promotions(request: HttpRequest) -> HttpResponse:
    vendor = current_vendor(request)
    can_edit = roles.can_manage_catalog(request.user, vendor)
    form = _vendor_form(vendor, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        data = form.promotion_input()
        if data is not None:
            try:
                promotion = services.vendor_promotion_create(vendor=vendor, user=request.user, data=data)
            except ApplicationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("%(name)s is saved.") % {"name": promotion.name})
                return redirect("vendor-promotions")
        status = 422
    return render(request, "promotions/vendor_promotions.html", {
        "page": _page(request, selectors.promotions_of_vendor(vendor_id=vendor.pk)), "form": form,
        "can_edit": can_edit}, status=status)


@vendor_member_required()
@require_POST
def vendor_promotion_end(request: HttpRequest, promotion_id: int) -> HttpResponse:
    vendor = current_vendor(request)
    if not roles.can_manage_catalog(request.user, vendor):
        raise PermissionDenied
    promotion = selectors.promotion_of_vendor(vendor_id=vendor.pk, promotion_id=promotion_id)
    if promotion is None:
        raise Http404
    services.promotion_end(promotion=promotion, user=request.user)
    messages.success(request, _("%(name)s has ended.") % {"name": promotion.name})
    return redirect("vendor-promotions")


# ---------------------------------------------------------------------------------------------
# ops console (platform host): the platform's coupons
# ---------------------------------------------------------------------------------------------
def _platform_form(data: Any = None) -> PlatformPromotionForm:
    vendors = list(Vendor.objects.order_by("name").values_list("pk", "name"))
    return PlatformPromotionForm(data, categories=_categories(), vendors=vendors)


@ops_required(roles.is_platform_admin)
def ops_promotions(request: HttpRequest) -> HttpResponse:
    form = _platform_form(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        data = form.promotion_input()
        if data is not None:
            try:
                promotion = services.platform_promotion_create(user=request.user, data=data)
            except ApplicationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("%(name)s is saved.") % {"name": promotion.name})
                return redirect("ops-promotions")
        status = 422
    return render(request, "promotions/ops_promotions.html", {
        "page": _page(request, selectors.platform_promotions()), "form": form}, status=status)


@ops_required(roles.is_platform_admin)
@require_POST
def ops_promotion_end(request: HttpRequest, promotion_id: int) -> HttpResponse:
    promotion = Promotion.objects.filter(pk=promotion_id, vendor__isnull=True).first()
    if promotion is None:
        raise Http404
    services.promotion_end(promotion=promotion, user=request.user)
    messages.success(request, _("%(name)s has ended.") % {"name": promotion.name})
    return redirect("ops-promotions")
