"""Vendor dashboard pages for orders: list, detail, ship lines, cancel lines, mark delivered, and the
order's documents (packing slip, labels), in the vendor's own schema only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.permissions import vendor_member_required
from common.exceptions import ApplicationError
from fulfillment import documents, selectors, services
from fulfillment.carriers import CARRIERS, carrier_choices
from fulfillment.errors import DocumentNotFound
from fulfillment.models import VendorOrder


def _order_or_404(vendor_order_id: int) -> VendorOrder:
    try:
        return selectors.vendor_order_detail(vendor_order_id=vendor_order_id)
    except services.VendorOrderNotFound as exc:
        raise Http404 from exc


def _detail(vendor_order: VendorOrder, **extra: Any) -> dict[str, Any]:
    return {"vendor_order": vendor_order, "timeline": selectors.vendor_order_timeline(vendor_order=vendor_order),
            "carriers": carrier_choices(), "carrier_examples": {c.code: c.example for c in CARRIERS},
            "international": documents.vendor_order_international(vendor_order=vendor_order),
            **_ship_defaults(vendor_order, extra.get("form_data")), **extra}


def _ship_defaults(vendor_order: VendorOrder, form_data: Any) -> dict[str, str]:
    """The ship form's carrier and number: what was posted, else the latest label's."""
    if form_data is not None:
        return {"ship_carrier": form_data.get("carrier", ""), "ship_tracking": form_data.get("tracking_number", "")}
    label = next(iter(vendor_order.labels.all()), None)
    return {"ship_carrier": label.carrier if label else "", "ship_tracking": label.tracking_number if label else ""}


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@vendor_member_required()
def order_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    page = Paginator(selectors.vendor_orders_list(status=status), 25).get_page(request.GET.get("page"))
    page.object_list = selectors.vendor_orders_mark_held(list(page.object_list))
    template = "fulfillment/_order_table.html" if getattr(request, "htmx", False) else "fulfillment/order_list.html"
    return render(request, template, {"page": page, "status": status, "statuses": VendorOrder.Status.choices})


@vendor_member_required()
def order_detail(request: HttpRequest, vendor_order_id: int) -> HttpResponse:
    return render(request, "fulfillment/order_detail.html", _detail(_order_or_404(vendor_order_id)))


@vendor_member_required()
@require_POST
def order_ship(request: HttpRequest, vendor_order_id: int) -> HttpResponse:
    vendor_order = _order_or_404(vendor_order_id)
    quantities = {key[4:]: value for key, value in request.POST.items() if key.startswith("qty_")}
    try:
        services.vendor_order_ship(
            vendor_order_id=vendor_order.pk, quantities=quantities, carrier=request.POST.get("carrier", ""),
            tracking_number=request.POST.get("tracking_number", ""), user=request.user,
            carrier_name=request.POST.get("carrier_name", ""),
        )
    except ApplicationError as exc:
        errors = [error for field_errors in (exc.fields or {}).values() for error in field_errors]
        return render(request, "fulfillment/order_detail.html", _detail(
            _order_or_404(vendor_order_id), ship_error=exc.message, ship_errors=errors, form_data=request.POST,
        ), status=422)
    messages.success(request, _("Shipment recorded; the buyer sees the tracking number."))
    return redirect("fulfillment-order-detail", vendor_order_id=vendor_order.pk)


@vendor_member_required(roles.REFUNDS_MINIMUM_ROLE)
@require_POST
def order_line_cancel(request: HttpRequest, vendor_order_id: int, line_id: int) -> HttpResponse:
    vendor_order = _order_or_404(vendor_order_id)
    try:
        services.vendor_order_line_cancel(vendor_order_id=vendor_order.pk, line_id=line_id,
                                          quantity=request.POST.get("quantity"), user=request.user)
    except services.VendorOrderNotFound as exc:
        raise Http404 from exc
    except ApplicationError as exc:
        return render(request, "fulfillment/order_detail.html", _detail(
            _order_or_404(vendor_order_id), cancel_error=exc.message,
        ), status=422)
    messages.success(request, _("Cancelled and refunded; the stock is back."))
    return redirect("fulfillment-order-detail", vendor_order_id=vendor_order.pk)


@vendor_member_required()
@require_POST
def order_mark_delivered(request: HttpRequest, vendor_order_id: int) -> HttpResponse:
    vendor_order = _order_or_404(vendor_order_id)
    try:
        services.vendor_order_mark_delivered(vendor_order_id=vendor_order.pk, user=request.user,
                                             note=request.POST.get("note", "").strip()[:200])
    except ApplicationError as exc:
        return render(request, "fulfillment/order_detail.html", _detail(
            _order_or_404(vendor_order_id), deliver_error=exc.message), status=422)
    messages.success(request, _("Marked delivered; the buyer is told."))
    return redirect("fulfillment-order-detail", vendor_order_id=vendor_order.pk)


@vendor_member_required()
def order_packing_slip(request: HttpRequest, vendor_order_id: int) -> HttpResponse:
    vendor_order = _order_or_404(vendor_order_id)
    return _pdf_response(documents.packing_slip_pdf(vendor_order=vendor_order),
                         f"packing-slip-{vendor_order.order_number}.pdf")


@vendor_member_required()
@require_POST
def order_label_create(request: HttpRequest, vendor_order_id: int) -> HttpResponse:
    vendor_order = _order_or_404(vendor_order_id)
    try:
        documents.shipment_label_create(vendor_order_id=vendor_order.pk, carrier=request.POST.get("label_carrier", ""),
                                        user=request.user)
    except ApplicationError as exc:
        return render(request, "fulfillment/order_detail.html", _detail(
            _order_or_404(vendor_order_id), label_error=exc.message), status=422)
    messages.success(request, _("Label ready: print it, then ship with its tracking number."))
    return redirect("fulfillment-order-detail", vendor_order_id=vendor_order.pk)


@vendor_member_required()
def order_label_pdf(request: HttpRequest, vendor_order_id: int, label_id: int) -> HttpResponse:
    vendor_order = _order_or_404(vendor_order_id)
    try:
        label = documents.shipment_label_get(vendor_order=vendor_order, label_id=label_id)
    except DocumentNotFound as exc:
        raise Http404 from exc
    return _pdf_response(bytes(label.pdf), f"label-{label.tracking_number}.pdf")
