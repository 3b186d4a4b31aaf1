"""The ops console pages of onboarding: the review queue, decisions, vendor suspension."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import roles
from accounts.permissions import ops_required
from common.exceptions import ApplicationError
from vendors import selectors, services
from vendors.forms import ReasonForm
from vendors.models import Vendor, VendorApplication

DECISIONS = {
    "approve": services.application_approve,
    "reject": services.application_reject,
    "request-changes": services.application_request_changes,
}


@ops_required(roles.can_review_applications)
@require_GET
def applications_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    if status and status not in VendorApplication.Status.values:
        status = None
    sort = request.GET.get("sort", "submitted")
    search = request.GET.get("q", "").strip()[:100]
    page = Paginator(
        selectors.applications_for_review(status=status, search=search, sort=sort), 25
    ).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "page": page, "status": status or "", "sort": sort, "q": search,
        "statuses": [(value, label) for value, label in VendorApplication.Status.choices
                     if value != VendorApplication.Status.DRAFT],
        "sorts": [("submitted", _("Oldest submitted first")), ("-submitted", _("Newest submitted first")),
                  ("name", _("Business name A–Z")), ("-name", _("Business name Z–A"))],
    }
    template = "vendors/ops/_applications_table.html" if request.htmx else "vendors/ops/applications.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _detail_context(application: VendorApplication, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "application": application,
        "documents": application.documents.all(),
        "history": selectors.application_history(application=application)[:50],
        "reason_form": ReasonForm(),
        "categories": _category_names(application.categories),
    }
    if application.vendor is not None:
        context["progress"] = selectors.onboarding_progress(vendor=application.vendor)
        context["vendor"] = application.vendor
    context.update(extra)
    return context


def _category_names(values: list[Any]) -> list[str]:
    from django.apps import apps

    try:
        model = apps.get_model("marketplace", "Category")
    except LookupError:
        return [str(value) for value in values]
    ids = [value for value in values if isinstance(value, int)]
    names = dict(model.objects.filter(pk__in=ids).values_list("pk", "name"))
    return [names.get(value, str(value)) for value in values]


@ops_required(roles.can_review_applications)
@require_GET
def application_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    application = get_object_or_404(
        VendorApplication.objects.select_related("applicant", "vendor", "vendor__store"),
        pk=application_id,
    )
    return render(request, "vendors/ops/application_detail.html", _detail_context(application))


@ops_required(roles.can_review_applications)
@require_POST
def application_decide(request: HttpRequest, application_id: int, decision: str) -> HttpResponse:
    application = get_object_or_404(
        VendorApplication.objects.select_related("applicant", "vendor", "vendor__store"),
        pk=application_id,
    )
    decide = DECISIONS.get(decision)
    if decide is None:
        from django.http import Http404

        raise Http404
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        decide(application=application, actor=request.user,
               reason=form.cleaned_data.get("reason", ""))
    except ApplicationError as error:
        form.add_error("reason" if "reason" in error.fields else None, error.message)
        application.refresh_from_db()
        return render(request, "vendors/ops/application_detail.html",
                      _detail_context(application, reason_form=form, decision=decision),
                      status=error.status_code)
    messages.success(request, _("Decision recorded."))
    return redirect("ops-application-detail", application_id=application.pk)


@ops_required(roles.can_review_applications)
@require_GET
def vendor_progress(request: HttpRequest, vendor_id: int) -> HttpResponse:
    vendor = get_object_or_404(Vendor.objects.select_related("store"), pk=vendor_id)
    return render(request, "vendors/_progress.html", {
        "vendor": vendor, "progress": selectors.onboarding_progress(vendor=vendor),
        "poll_url": request.path, "retry_url": f"/ops/vendors/{vendor.pk}/retry/",
    })


@ops_required(roles.can_review_applications)
@require_POST
def vendor_retry(request: HttpRequest, vendor_id: int) -> HttpResponse:
    vendor = get_object_or_404(Vendor.objects.select_related("store"), pk=vendor_id)
    try:
        services.vendor_onboarding_retry(vendor=vendor, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    if not request.htmx:  # type: ignore[attr-defined]
        return redirect("ops-vendors")
    vendor = Vendor.objects.select_related("store").get(pk=vendor.pk)
    return render(request, "vendors/_progress.html", {
        "vendor": vendor, "progress": selectors.onboarding_progress(vendor=vendor),
        "poll_url": f"/ops/vendors/{vendor.pk}/progress/",
        "retry_url": f"/ops/vendors/{vendor.pk}/retry/",
    })


@ops_required(roles.can_review_applications)
@require_GET
def vendors_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    if status and status not in Vendor.Status.values:
        status = None
    search = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.vendors_for_ops(status=status, search=search), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "vendors/ops/vendors.html", {
        "page": page, "status": status or "", "q": search, "statuses": Vendor.Status.choices,
        "reason_form": ReasonForm(),
    })


@ops_required(roles.can_review_applications)
@require_POST
def vendor_status_change(request: HttpRequest, vendor_id: int, action: str) -> HttpResponse:
    vendor = get_object_or_404(Vendor, pk=vendor_id)
    form = ReasonForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    try:
        if action == "suspend":
            services.vendor_suspend(vendor=vendor, actor=request.user, reason=reason)
        elif action == "reinstate":
            services.vendor_reinstate(vendor=vendor, actor=request.user, reason=reason)
        else:
            from django.http import Http404

            raise Http404
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(f"/ops/vendors/?q={vendor.slug}")
    messages.success(request, _("Vendor updated."))
    return redirect(f"/ops/vendors/?q={vendor.slug}")
