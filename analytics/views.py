"""Analytics pages: the vendor's (dashboard: report, product detail, CSV export) and the
operator's (ops console). Thin: validate the date range, read a report built from the rollups
(cached per vendor, range and rollup generation), render."""

from __future__ import annotations

import csv
from datetime import date
from typing import Any

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import roles
from accounts.permissions import current_vendor, ops_required, vendor_member_required
from analytics import charts, selectors
from analytics.forms import DateRangeForm
from analytics.rollups import generation
from common.money import to_major

CACHE_SECONDS = 300
MINIMUM_ROLE = roles.REFUNDS_MINIMUM_ROLE  # revenue is money: the role that may see it (manager)


def _range_form(request: HttpRequest) -> DateRangeForm:
    form = DateRangeForm(request.GET, today=timezone.now().date())
    form.is_valid()
    return form


def _cached(key: str, build: Any) -> Any:
    key = f"analytics:{generation()}:{key}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, CACHE_SECONDS)
    return value


def _vendor_report(vendor: Any, start: date, end: date) -> selectors.VendorReport:
    return _cached(f"vendor:{vendor.pk}:{vendor.currency}:{start}:{end}", lambda: selectors.vendor_report(
        vendor_id=vendor.pk, currency=vendor.currency, start=start, end=end))


def _vendor_charts(report: selectors.VendorReport) -> dict[str, Any]:
    labels = [row["day"].strftime("%d %b") for row in report.daily]
    trend = charts.line_chart(
        chart_id="chart-trend", title="Visits and orders per day",
        description="Daily visits (solid line, circles) and orders (dashed line, squares); the table below lists each day.",
        labels=labels, series=[charts.Series("Visits", [r["visits"] for r in report.daily]),
                               charts.Series("Orders", [r["orders"] for r in report.daily])])
    top = charts.bar_chart(
        chart_id="chart-top", title="Top products by revenue",
        description="Revenue per product in the range, largest first; the table below has the figures.",
        rows=[(p["name"] or f"#{p['product_id']}", p["revenue"],
               f"{to_major(p['revenue'], report.currency)} {report.currency}") for p in report.top_products])
    return {"trend_chart": trend, "top_chart": top}


@require_GET
@vendor_member_required(MINIMUM_ROLE)
def vendor_analytics(request: HttpRequest) -> HttpResponse:
    vendor = current_vendor(request)
    form = _range_form(request)
    if not form.is_valid():
        return render(request, "analytics/vendor.html", {"form": form}, status=400)
    start, end = form.range
    report = _vendor_report(vendor, start, end)
    return render(request, "analytics/vendor.html", {
        "form": form, "report": report, "start": start, "end": end, **_vendor_charts(report),
        "export_query": request.GET.urlencode()})


@require_GET
@vendor_member_required(MINIMUM_ROLE)
def vendor_analytics_export(request: HttpRequest) -> HttpResponse:
    vendor = current_vendor(request)
    form = _range_form(request)
    if not form.is_valid():
        return render(request, "analytics/vendor.html", {"form": form}, status=400)
    start, end = form.range
    report = _vendor_report(vendor, start, end)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="analytics-{vendor.slug}-{start}-{end}.csv"'
    writer = csv.writer(response)
    writer.writerow(["date", "visits", "orders", f"revenue ({report.currency})"])
    for row in report.daily:
        writer.writerow([row["day"].isoformat(), row["visits"], row["orders"], to_major(row["revenue"], report.currency)])
    return response


@require_GET
@vendor_member_required(MINIMUM_ROLE)
def vendor_product_analytics(request: HttpRequest, product_id: int) -> HttpResponse:
    from catalog.models import Product

    vendor = current_vendor(request)
    # The host's own schema: another vendor's product id finds nothing here (404).
    product = Product.objects.filter(pk=product_id).only("id", "name").first()
    if product is None:
        raise Http404
    form = _range_form(request)
    if not form.is_valid():
        return render(request, "analytics/product.html", {"form": form, "product": product}, status=400)
    start, end = form.range
    daily = selectors.product_daily(vendor_id=vendor.pk, product_id=product.pk, currency=vendor.currency,
                                    start=start, end=end)
    chart = charts.line_chart(
        chart_id="chart-product", title=f"Views and units sold per day: {product.name}",
        description="Daily product views (solid line, circles) and units sold (dashed line, squares).",
        labels=[r["day"].strftime("%d %b") for r in daily],
        series=[charts.Series("Views", [r["views"] for r in daily]), charts.Series("Units", [r["units"] for r in daily])])
    return render(request, "analytics/product.html", {
        "form": form, "product": product, "daily": daily, "chart": chart, "currency": vendor.currency,
        "totals": {name: sum(r[name] for r in daily) for name in ("views", "orders", "units", "revenue")},
        "forecast": selectors.product_forecast(vendor_id=vendor.pk, product_id=product.pk)})


@require_GET
@ops_required(roles.is_finance)
def ops_analytics(request: HttpRequest) -> HttpResponse:
    form = _range_form(request)
    currencies = selectors.platform_currencies() or ["EUR"]
    asked = request.GET.get("currency", "")
    currency = asked if asked in currencies else currencies[0]
    context: dict[str, Any] = {"form": form, "currencies": currencies, "currency": currency}
    if not form.is_valid():
        return render(request, "analytics/ops.html", context, status=400)
    start, end = form.range
    report = _cached(f"platform:{currency}:{start}:{end}", lambda: selectors.platform_report(
        currency=currency, start=start, end=end))
    ages = max((len(c["cells"]) for c in report.cohorts), default=0)
    context.update(report=report, start=start, end=end, cohort_ages=range(ages), **_ops_charts(report))
    return render(request, "analytics/ops.html", context)


def _ops_charts(report: selectors.PlatformReport) -> dict[str, Any]:
    money = f" {report.currency}"
    return {
        "gmv_chart": charts.line_chart(
            chart_id="chart-gmv", title=f"GMV per day ({report.currency})",
            description="Daily gross merchandise value (solid line, circles); the table below lists each day.",
            labels=[r["day"].strftime("%d %b") for r in report.daily],
            series=[charts.Series(f"GMV ({report.currency})", [float(to_major(r["gmv"], report.currency)) for r in report.daily])]),
        # Orders on a scale of their own: beside money they would lie flat along the axis.
        "orders_chart": charts.line_chart(
            chart_id="chart-orders", title="Orders per day",
            description="Daily paid orders (solid line, circles); the table below lists each day.",
            labels=[r["day"].strftime("%d %b") for r in report.daily],
            series=[charts.Series("Orders", [r["orders"] for r in report.daily])]),
        "funnel_chart": charts.bar_chart(
            chart_id="chart-funnel", title="Purchase funnel",
            description="Visitors at each step, from a product view to an order; the table gives the shares.",
            rows=[(step["step"], step["count"], f"{step['count']:,}") for step in report.funnel]),
        "vendor_chart": charts.bar_chart(
            chart_id="chart-vendors", title="Vendors by revenue",
            description="Revenue per vendor in the range, largest first.",
            rows=[(v["name"], v["revenue"], f"{to_major(v['revenue'], report.currency)}{money}") for v in report.vendors]),
    }
