"""Vendor host pages: the storefront and the catalog part of the dashboard."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts import roles
from accounts.permissions import current_vendor, vendor_member_required
from catalog import selectors


def storefront_home(request: HttpRequest) -> HttpResponse:
    vendor = current_vendor(request)
    if vendor is None or vendor.status != vendor.Status.ACTIVE:
        raise Http404
    return render(
        request, "storefront/home.html", {"products": selectors.products_on_storefront()[:48]}
    )


@vendor_member_required()
def dashboard_home(request: HttpRequest) -> HttpResponse:
    vendor = current_vendor(request)
    return render(
        request,
        "dashboard/home.html",
        {
            "product_count": selectors.products_list().count(),
            "role": roles.vendor_role(request.user, vendor),
        },
    )


@vendor_member_required()
def dashboard_products(request: HttpRequest) -> HttpResponse:
    products = selectors.products_list(
        status=request.GET.get("status"), search=request.GET.get("q", "")
    )[:100]
    return render(request, "dashboard/products.html", {"products": products})
