"""The vendor dashboard's Money pages (vendor host): per-order money, balances, payouts, statements.

Money lives in the public schema keyed by vendor id: every read here is filtered by the vendor of
the current host (`current_vendor(request)`), never by an id from the request.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.permissions import current_vendor, vendor_member_required
from common.exceptions import ApplicationError
from payments import gateway
from payments.errors import GatewayError
from payouts import selectors, statements
from payouts.ledger.selectors import vendor_balances

PAGE_SIZE = 25
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def _money_vendor(request: HttpRequest):  # type: ignore[no-untyped-def]
    vendor = current_vendor(request)
    if not roles.can_see_vendor_money(request.user, vendor):
        raise PermissionDenied
    return vendor


@vendor_member_required()
def money(request: HttpRequest) -> HttpResponse:
    vendor = _money_vendor(request)
    paid_out_until = selectors.vendor_paid_out_until(vendor_id=vendor.pk, currency=vendor.currency)
    page = Paginator(selectors.vendor_money_rows(vendor_id=vendor.pk), PAGE_SIZE).get_page(
        request.GET.get("page"))
    rows = [{"sub": sub, "transfer": getattr(sub, "transfer", None),
             "status": selectors.money_status(sub, paid_out_until)} for sub in page]
    context = {"page": page, "rows": rows, "currency": vendor.currency}
    if request.headers.get("HX-Request") == "true" and request.GET.get("page"):
        return render(request, "payouts/money/_rows.html", context)
    payouts = Paginator(selectors.vendor_payouts(vendor_id=vendor.pk), 10).get_page(1)
    context.update({
        "vendor": vendor,
        "stripe_dashboard_ready": bool(vendor.stripe_account_id and vendor.stripe_details_submitted),
        "balances": vendor_balances(vendor_id=vendor.pk, currency=vendor.currency),
        "payouts": payouts,
        "months": selectors.vendor_statement_months(vendor_id=vendor.pk),
    })
    return render(request, "payouts/money/money.html", context)


@vendor_member_required()
@require_POST
def stripe_dashboard(request: HttpRequest) -> HttpResponse:
    """To the vendor's Stripe Express dashboard through a fresh single-use login link."""
    vendor = _money_vendor(request)
    if not (vendor.stripe_account_id and vendor.stripe_details_submitted):
        messages.error(request, _("Your Stripe account is not set up yet: complete Stripe onboarding on "
                                  "the go-live page first."))
        return redirect("dashboard-money")
    try:
        url = gateway.login_link_create(account_id=vendor.stripe_account_id)
    except GatewayError as error:
        messages.error(request, _("Stripe did not open your dashboard: %(reason)s") % {"reason": error.message})
        return redirect("dashboard-money")
    return redirect(url)


@vendor_member_required()
def statement_download(request: HttpRequest, period: str, fmt: str) -> HttpResponse:
    vendor = _money_vendor(request)
    match = _PERIOD.match(period)
    if match is None:
        raise Http404
    try:
        statement = statements.vendor_statement(vendor=vendor, year=int(match[1]), month=int(match[2]))
    except ApplicationError as exc:
        raise Http404 from exc
    if fmt == "pdf":
        body, content_type = statements.statement_pdf(statement), "application/pdf"
    else:
        body, content_type = statements.statement_csv(statement), "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="statement-{vendor.slug}-{period}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response
