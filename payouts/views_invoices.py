"""Invoices and credit notes: the buyer's download (platform host), the vendor's list (vendor
host, its own only) and finance's list (ops). Every read is scoped by who asks, never by an id
alone; a stranger's id answers 404."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts import roles
from accounts.permissions import current_vendor, ops_required, vendor_member_required
from payouts import invoices
from payouts.errors import InvoiceNotFound
from payouts.models import Invoice

PAGE_SIZE = 50


def _pdf(invoice: Invoice) -> HttpResponse:
    response = HttpResponse(invoices.invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.kind}-{invoice.vendor.slug}-{invoice.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def invoice_download(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """The buyer's own invoice or credit note (of an order of theirs)."""
    if not request.user.is_authenticated:
        raise Http404
    try:
        return _pdf(invoices.invoice_for_buyer(user=request.user, invoice_id=invoice_id))
    except InvoiceNotFound as exc:
        raise Http404 from exc


def _invoice_vendor(request: HttpRequest):  # type: ignore[no-untyped-def]
    vendor = current_vendor(request)
    if not roles.can_see_vendor_money(request.user, vendor):
        raise PermissionDenied
    return vendor


@vendor_member_required()
def vendor_invoice_list(request: HttpRequest) -> HttpResponse:
    vendor = _invoice_vendor(request)
    page = Paginator(invoices.invoices_of_vendor(vendor_id=vendor.pk), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "payouts/invoices/vendor_list.html", {"page": page, "vendor": vendor})


@vendor_member_required()
def vendor_invoice_download(request: HttpRequest, invoice_id: int) -> HttpResponse:
    vendor = _invoice_vendor(request)
    try:
        return _pdf(invoices.invoice_for_vendor(vendor_id=vendor.pk, invoice_id=invoice_id))
    except InvoiceNotFound as exc:
        raise Http404 from exc


@ops_required(roles.is_finance)
def ops_invoice_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(invoices.invoices_all(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "payouts/ops/invoices.html", {"page": page})


@ops_required(roles.is_finance)
def ops_invoice_download(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = invoices.invoices_all().filter(pk=invoice_id).first()
    if invoice is None:
        raise Http404
    return _pdf(invoice)
