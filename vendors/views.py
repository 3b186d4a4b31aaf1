"""The applicant's pages on the platform host (`/sell/`): application steps, status, invitations."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts import roles
from common.exceptions import ApplicationError
from common.hosts import host_url
from common.ratelimit import rate_limit
from vendors import selectors, services
from vendors.forms import (
    BusinessForm,
    ContactForm,
    DocumentForm,
    LogoForm,
    SellerIdentityForm,
    StoreForm,
    apply_error,
)
from vendors.models import VendorApplication
from vendors.seller_identity import seller_identity_initial

STEPS: list[tuple[str, Any]] = [
    ("business", gettext_lazy("Business")),
    ("contact", gettext_lazy("Contact")),
    ("store", gettext_lazy("Store")),
    ("tax", gettext_lazy("Tax identity")),
    ("files", gettext_lazy("Logo and documents")),
    ("review", gettext_lazy("Review and submit")),
]
STEP_KEYS = [key for key, _label in STEPS]
FORMS = {"business": BusinessForm, "contact": ContactForm, "store": StoreForm, "tax": SellerIdentityForm}


def _next_step(step: str) -> str | None:
    index = STEP_KEYS.index(step)
    return STEP_KEYS[index + 1] if index + 1 < len(STEP_KEYS) else None


def _initial(application: VendorApplication, step: str) -> dict[str, Any]:
    if step == "business":
        return {"business_name": application.business_name, "legal_form": application.legal_form,
                "country": str(application.country), "currency": application.currency}
    if step == "contact":
        return {"contact_name": application.contact_name, "contact_email": application.contact_email,
                "contact_phone": application.contact_phone}
    if step == "store":
        categories = application.categories or []
        return {"slug": application.slug, "description": application.description,
                "categories": [str(value) for value in categories],
                "categories_text": ", ".join(str(value) for value in categories)}
    if step == "tax":
        return seller_identity_initial(getattr(application, "seller_identity", None)) or {
            "legal_name": application.business_name, "tin_country": str(application.country),
            "address_country": str(application.country),
            "kind": "individual" if application.legal_form == "sole_trader" else "entity"}
    return {}


def _open_application(request: HttpRequest) -> VendorApplication:
    application = selectors.application_current(user=request.user)
    if application is None:
        raise Http404
    return application


def sell_start(request: HttpRequest) -> HttpResponse:
    """The landing page; starting an application creates a draft the applicant can come back to."""
    application = (
        selectors.application_current(user=request.user) if request.user.is_authenticated else None
    )
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        try:
            services.application_create(applicant=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("sell-status")
        return redirect("sell-step", step="business")
    return render(request, "vendors/sell/start.html", {"application": application})


@login_required
def sell_step(request: HttpRequest, step: str) -> HttpResponse:
    if step not in STEP_KEYS:
        raise Http404
    application = _open_application(request)
    if not application.is_editable:
        return redirect("sell-status")
    form_class = FORMS.get(step)
    form = None
    if form_class is not None:
        if request.method == "POST":
            form = form_class(request.POST)
            if form.is_valid():
                data = dict(form.cleaned_data)
                if isinstance(form, StoreForm):
                    data.pop("categories_text", None)
                    data["categories"] = form.categories_value()
                try:
                    if isinstance(form, SellerIdentityForm):
                        services.application_identity_set(application=application, actor=request.user, data=data)
                    else:
                        services.application_update(application=application, actor=request.user, **data)
                except ApplicationError as error:
                    apply_error(form, error)
                else:
                    if request.POST.get("action") == "save":
                        messages.success(request, _("Saved. You can come back at any time."))
                        return redirect("sell-status")
                    return redirect("sell-step", step=_next_step(step))
        else:
            form = form_class(initial=_initial(application, step))
    context: dict[str, Any] = {
        "application": application, "step": step, "steps": STEPS, "form": form,
        "step_index": STEP_KEYS.index(step) + 1, "next_step": _next_step(step),
    }
    if step == "files":
        context.update(logo_form=LogoForm(), document_form=DocumentForm(),
                       documents=application.documents.all())
    if step == "review":
        context["missing"] = services.application_missing_fields(application)
        context["identity"] = getattr(application, "seller_identity", None)
    return render(request, "vendors/sell/step.html", context)


@login_required
@require_POST
def sell_logo_upload(request: HttpRequest) -> HttpResponse:
    application = _open_application(request)
    form = LogoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.application_logo_set(
                application=application, actor=request.user, upload=form.cleaned_data["logo"]
            )
            messages.success(request, _("Logo uploaded."))
        except ApplicationError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, _("Choose a logo file."))
    return redirect("sell-step", step="files")


@login_required
@require_POST
def sell_document_upload(request: HttpRequest) -> HttpResponse:
    application = _open_application(request)
    form = DocumentForm(request.POST, request.FILES)
    status = 200
    if form.is_valid():
        try:
            services.application_document_add(
                application=application, actor=request.user, upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
            )
            messages.success(request, _("Document uploaded."))
            return redirect("sell-step", step="files")
        except ApplicationError as error:
            apply_error(form, error)
            status = 400
    else:
        status = 400
    return render(request, "vendors/sell/step.html", {
        "application": application, "step": "files", "steps": STEPS, "form": None,
        "step_index": STEP_KEYS.index("files") + 1, "next_step": "review",
        "logo_form": LogoForm(), "document_form": form, "documents": application.documents.all(),
    }, status=status)


@login_required
@require_POST
def sell_document_remove(request: HttpRequest, document_id: int) -> HttpResponse:
    document = selectors.document_get_for(user=request.user, document_id=document_id)
    try:
        services.application_document_remove(document=document, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("sell-step", step="files")


def _file_response(field: Any, filename: str, content_type: str) -> FileResponse:
    try:
        handle = field.storage.open(field.name, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_GET
def document_download(request: HttpRequest, document_id: int) -> HttpResponseBase:
    """The applicant's own documents or, for admins, any; everyone else gets 404."""
    document = selectors.document_get_for(user=request.user, document_id=document_id)
    return _file_response(document.file, document.original_name, document.content_type)


@login_required
@require_GET
def logo_download(request: HttpRequest, application_id: int) -> HttpResponseBase:
    application = selectors.application_get_for(user=request.user, application_id=application_id)
    if not application.logo:
        raise Http404
    return _file_response(application.logo, f"logo-{application.pk}", "application/octet-stream")


@require_GET
def sell_slug_check(request: HttpRequest) -> HttpResponse:
    """htmx: live availability of a store address as the applicant types."""
    slug = request.GET.get("slug", "")
    application = (
        selectors.application_current(user=request.user) if request.user.is_authenticated else None
    )
    context: dict[str, Any] = {"slug": slug}
    try:
        context["slug"] = services.slug_availability_check(slug=slug, application=application)
        context["available"] = True
    except ApplicationError as error:
        context.update(available=False, message=error.message)
    return render(request, "vendors/sell/_slug_check.html", context)


@login_required
@require_POST
@rate_limit("seller_application")
def sell_submit(request: HttpRequest) -> HttpResponse:
    application = _open_application(request)
    try:
        services.application_submit(application=application, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        if application.is_editable:
            return redirect("sell-step", step="review")
        return redirect("sell-status")
    messages.success(request, _("Your application was submitted. We will review it soon."))
    return redirect("sell-status")


@login_required
def sell_status(request: HttpRequest) -> HttpResponse:
    application = selectors.application_current(user=request.user)
    if application is None:
        return redirect("sell-start")
    history = Paginator(selectors.application_history(application=application), 20).get_page(
        request.GET.get("page")
    )
    context: dict[str, Any] = {"application": application, "history": history}
    if application.vendor is not None:
        context["progress"] = selectors.onboarding_progress(vendor=application.vendor)
        context["vendor"] = application.vendor
    return render(request, "vendors/sell/status.html", context)


@login_required
@require_GET
def sell_progress(request: HttpRequest) -> HttpResponse:
    """htmx polling target: the provisioning steps of the applicant's new store."""
    application = selectors.application_current(user=request.user)
    if application is None or application.vendor is None:
        raise Http404
    vendor = application.vendor
    return render(request, "vendors/_progress.html", {
        "vendor": vendor, "progress": selectors.onboarding_progress(vendor=vendor),
        "poll_url": request.path, "retry_url": "/sell/retry/",
    })


@login_required
@require_POST
def sell_retry(request: HttpRequest) -> HttpResponse:
    application = selectors.application_current(user=request.user)
    if application is None or application.vendor is None:
        raise Http404
    if not roles.can_retry_onboarding(request.user, application.vendor):
        raise Http404
    try:
        services.vendor_onboarding_retry(vendor=application.vendor, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    if request.htmx:  # type: ignore[attr-defined]
        return sell_progress_render(request, application.vendor)
    return redirect("sell-status")


def sell_progress_render(request: HttpRequest, vendor: Any) -> HttpResponse:
    vendor.refresh_from_db()
    return render(request, "vendors/_progress.html", {
        "vendor": vendor, "progress": selectors.onboarding_progress(vendor=vendor),
        "poll_url": "/sell/status/progress/", "retry_url": "/sell/retry/",
    })


@login_required
def invitation_accept(request: HttpRequest, secret: str) -> HttpResponse:
    try:
        invitation = services.invitation_for_secret(secret)
    except ApplicationError as error:
        return render(request, "vendors/sell/invitation.html", {"error": error.message}, status=404)
    if request.method == "POST":
        try:
            membership = services.invitation_accept(secret=secret, user=request.user)
        except ApplicationError as error:
            return render(request, "vendors/sell/invitation.html",
                          {"invitation": invitation, "error": error.message},
                          status=error.status_code)
        return redirect(host_url(membership.vendor.host, "/dashboard/", request))
    return render(request, "vendors/sell/invitation.html", {"invitation": invitation})

