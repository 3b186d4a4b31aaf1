"""Ops console pages of money movement (platform host): transfers, payout policies, finance
reports, reconciliation and exports."""

from __future__ import annotations

import datetime as dt
import mimetypes

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import roles
from accounts.permissions import ops_required
from common.exceptions import ApplicationError
from payouts import exports, reports, transfers
from payouts.models import ExportJob, HoldPolicy, Transfer, TransferEvent, VendorPayoutPolicy
from payouts.reconciliation import reconcile

PAGE_SIZE = 25


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# ---------------------------------------------------------------------------------------------
# transfers (finance)
# ---------------------------------------------------------------------------------------------
@ops_required(roles.is_finance)
def transfer_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    qs = Transfer.objects.select_related("vendor").prefetch_related(
        Prefetch("events", queryset=TransferEvent.objects.select_related("actor").order_by("created_at", "id"))
    ).order_by("-created_at", "-id")
    if status in Transfer.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "payouts/ops/transfers.html", {
        "page": page, "status": status, "statuses": Transfer.Status.choices,
        "query": f"status={status}" if status else "",
        "failed_count": Transfer.objects.filter(status=Transfer.Status.FAILED).count(),
    })


@ops_required(roles.is_finance)
@require_POST
def transfer_retry(request: HttpRequest, transfer_id: int) -> HttpResponse:
    error = ""
    try:
        transfer = transfers.transfer_retry(transfer_id=transfer_id, user=request.user)
    except ApplicationError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        transfer = Transfer.objects.select_related("vendor").get(pk=transfer_id)
        error = exc.message
    if _is_htmx(request):
        return render(request, "payouts/ops/_transfer_row.html", {"transfer": transfer, "error": error},
                      status=409 if error else 200)
    if error:
        messages.error(request, error)
    elif transfer.status == Transfer.Status.TRANSFERRED:
        messages.success(request, _("Transfer sent."))
    else:
        messages.warning(request, _("The transfer failed again: %(error)s") % {"error": transfer.last_error})
    return redirect("payouts:transfers")


# ---------------------------------------------------------------------------------------------
# payout policies (admins)
# ---------------------------------------------------------------------------------------------
class PayoutPolicyForm(forms.Form):
    vendor: forms.ModelChoiceField = forms.ModelChoiceField(
        queryset=None, label=gettext_lazy("Vendor"))  # type: ignore[arg-type]
    hold_policy = forms.ChoiceField(
        choices=[("", gettext_lazy("Platform default")), *HoldPolicy.choices], required=False,
        label=gettext_lazy("Hold policy"))
    hold_days = forms.IntegerField(min_value=0, max_value=90, initial=0, required=False,
                                   label=gettext_lazy("Days after delivery"))
    note = forms.CharField(max_length=300, required=False, label=gettext_lazy("Note"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        from vendors.models import Vendor

        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["vendor"].queryset = Vendor.objects.order_by("name")  # type: ignore[attr-defined]


@ops_required(roles.is_platform_admin)
def payout_policies(request: HttpRequest) -> HttpResponse:
    form = PayoutPolicyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                transfers.vendor_payout_policy_set(
                    vendor_id=form.cleaned_data["vendor"].pk, hold_policy=form.cleaned_data["hold_policy"] or None,
                    hold_days=form.cleaned_data["hold_days"] or 0, note=form.cleaned_data["note"],
                    user=request.user)
            except ApplicationError as exc:
                for name, errors in exc.fields.items():
                    for message in errors:
                        form.add_error(name if name in form.fields else None, message)
            else:
                messages.success(request, _("Payout policy saved."))
                return redirect("payouts:payout-policies")
        status = 400
    default, days = transfers.platform_hold_policy()
    return render(request, "payouts/ops/payout_policies.html", {
        "form": form, "policies": VendorPayoutPolicy.objects.select_related("vendor").order_by("vendor__name"),
        "default_policy": HoldPolicy(default).label, "default_days": days,
    }, status=status)


# ---------------------------------------------------------------------------------------------
# finance reports and reconciliation
# ---------------------------------------------------------------------------------------------
class PeriodForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))
    currency = forms.CharField(max_length=3, initial="EUR", label=gettext_lazy("Currency"))


def _month_start() -> dt.date:
    return timezone.now().date().replace(day=1)


@ops_required(roles.is_finance)
def finance_overview(request: HttpRequest) -> HttpResponse:
    data = request.GET if "date_from" in request.GET else {
        "date_from": _month_start().isoformat(), "date_to": timezone.now().date().isoformat(), "currency": "EUR"}
    form = PeriodForm(data)
    summary = None
    status = 200
    if form.is_valid():
        try:
            summary = reports.finance_summary(
                date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"],
                currency=form.cleaned_data["currency"].upper())
        except ApplicationError as exc:
            for name, errors in exc.fields.items():
                for message in errors:
                    form.add_error(name if name in form.fields else None, message)
    if not form.is_valid():
        status = 400
    return render(request, "payouts/ops/finance.html", {"form": form, "summary": summary}, status=status)


@ops_required(roles.is_finance)
def reconciliation(request: HttpRequest) -> HttpResponse:
    report = None
    error = ""
    if request.GET.get("run") == "1":
        try:
            report = reconcile()
        except ApplicationError as exc:
            error = exc.message
    return render(request, "payouts/ops/reconciliation.html", {"report": report, "error": error})


# ---------------------------------------------------------------------------------------------
# exports
# ---------------------------------------------------------------------------------------------
class ExportForm(forms.Form):
    kind = forms.ChoiceField(choices=ExportJob.Kind.choices, label=gettext_lazy("Export"))
    format = forms.ChoiceField(choices=ExportJob.Format.choices, label=gettext_lazy("Format"))
    date_from = forms.DateField(required=False, label=gettext_lazy("From"),
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label=gettext_lazy("To"),
                              widget=forms.DateInput(attrs={"type": "date"}))
    vendor_id = forms.IntegerField(required=False, label=gettext_lazy("Vendor id (optional; required for a statement)"))
    year = forms.IntegerField(required=False, label=gettext_lazy("Year (tax summary)"))


@ops_required(roles.is_finance)
def export_list(request: HttpRequest) -> HttpResponse:
    form = ExportForm(request.POST or None, initial={
        "date_from": _month_start(), "date_to": timezone.now().date(), "year": timezone.now().year - 1})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            params = {"date_from": data["date_from"].isoformat() if data["date_from"] else "",
                      "date_to": data["date_to"].isoformat() if data["date_to"] else "",
                      "vendor_id": data["vendor_id"], "year": data["year"]}
            try:
                job, created = exports.export_request(kind=data["kind"], fmt=data["format"], params=params,
                                                      user=request.user)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
                for name, errors in exc.fields.items():
                    for message in errors:
                        form.add_error(name if name in form.fields else None, message)
            else:
                if created:
                    messages.success(request, _("Export queued: you will get an email with the link."))
                else:
                    messages.info(request, _("This export was already requested: here it is."))
                return redirect(f"{request.path}#job-{job.pk}")
        status = 400
    page = Paginator(ExportJob.objects.select_related("requested_by").order_by("-created_at", "-id"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "payouts/ops/exports.html", {"form": form, "page": page}, status=status)


@ops_required(roles.is_finance)
def export_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    job = ExportJob.objects.filter(pk=job_id).first()
    if job is None:
        raise Http404
    if request.GET.get("download") == "1" and job.status == ExportJob.Status.DONE:
        return redirect(exports.export_download_url(job=job))  # a fresh signed (or presigned) link
    return render(request, "payouts/ops/_export_row.html", {"job": job})


@ops_required(roles.is_finance)
def export_download(request: HttpRequest, token: str) -> HttpResponse:
    job = exports.export_for_token(token)
    if job is None:
        raise Http404
    handle = exports.export_open(job)
    filename = f"{job.kind}-{job.pk}.{job.format}"
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response  # type: ignore[return-value]  # a streaming response, as the decorator passes on
