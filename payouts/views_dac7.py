"""DAC7 seller reports and the 1099-K summary: the finance page and downloads (platform host) and
the vendor's own report (vendor host, read for `current_vendor(request)` only)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from accounts.permissions import ops_required, vendor_member_required
from payouts import dac7
from payouts.views_money import _money_vendor

FIRST_YEAR = 2023  # DAC7's first reportable period


def _year(raw: object) -> int | None:
    try:
        year = int(str(raw))
    except (TypeError, ValueError):
        return None
    return year if FIRST_YEAR <= year <= timezone.now().year else None


def _download(reports: list[dac7.SellerReport], *, year: int, fmt: str, name: str) -> HttpResponse:
    if fmt == "xml":
        response = HttpResponse(dac7.reports_xml(reports, year=year), content_type="application/xml")
    else:
        response = HttpResponse(dac7.reports_csv(reports), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{year}.{fmt}"'
    return response


@ops_required(roles.is_finance)
def dac7_overview(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("year") or str(timezone.now().year - 1)
    year = _year(raw)
    error = "" if year is not None else _("Choose a year from %(first)s to this year.") % {"first": FIRST_YEAR}
    reports = dac7.seller_reports(year=year) if year is not None else []
    form_1099k = dac7.form_1099k_summary(year=year) if year is not None else []
    return render(request, "payouts/ops/dac7.html", {
        "year": year, "raw_year": raw, "error": error, "reports": reports, "form_1099k": form_1099k,
        "missing_identity": [r for r in reports if r.identity is None],
    }, status=400 if error else 200)


@ops_required(roles.is_finance)
def dac7_download(request: HttpRequest, year: str, fmt: str) -> HttpResponse:
    checked = _year(year)
    if checked is None:
        raise Http404
    return _download(dac7.seller_reports(year=checked), year=checked, fmt=fmt, name="dac7")


@vendor_member_required()
def vendor_tax_report(request: HttpRequest) -> HttpResponse:
    vendor = _money_vendor(request)
    raw = request.GET.get("year") or str(timezone.now().year)
    year = _year(raw)
    error = "" if year is not None else _("Choose a year from %(first)s to this year.") % {"first": FIRST_YEAR}
    reports = dac7.seller_reports(year=year, vendor_id=vendor.pk) if year is not None else []
    return render(request, "payouts/money/tax_report.html", {
        "year": year, "raw_year": raw, "error": error, "reports": reports,
        "has_identity": hasattr(vendor, "seller_identity"),
    }, status=400 if error else 200)


@vendor_member_required()
def vendor_tax_report_download(request: HttpRequest, year: str, fmt: str) -> HttpResponse:
    vendor = _money_vendor(request)
    checked = _year(year)
    if checked is None:
        raise Http404
    return _download(dac7.seller_reports(year=checked, vendor_id=vendor.pk), year=checked, fmt=fmt,
                     name=f"dac7-{vendor.slug}")
