"""The custom domains page of the vendor dashboard: add a name, prove it, remove it (ADR 0092)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import vendor_member_required
from accounts.roles import VendorRole
from common.exceptions import ApplicationError
from common.hosts import host_url
from storefront.forms import CustomDomainForm
from tenants import domains
from tenants.models import CustomDomain, Store
from vendors.forms import apply_error


def _store(request: HttpRequest) -> Store:
    """The store whose host serves this dashboard (django-tenants sets it from the host)."""
    store: Store = request.tenant  # type: ignore[attr-defined]
    return store


def _row(request: HttpRequest, claim: CustomDomain, error: ApplicationError | None = None) -> dict[str, Any]:
    return {"claim": claim, "steps": domains.instructions_for(claim), "error": error,
            "store_url": host_url(claim.domain, "/", request)}


@vendor_member_required(VendorRole.OWNER)
def custom_domains(request: HttpRequest) -> HttpResponse:
    form = CustomDomainForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                claim = domains.custom_domain_add(store=_store(request), domain=form.cleaned_data["domain"])
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("%(name)s added: publish one of the two proofs below, then verify.")
                                 % {"name": claim.domain})
                return redirect("dashboard-domains")
        status = 400
    return render(request, "storefront/domains.html", {
        "form": form, "rows": [_row(request, claim) for claim in domains.custom_domains_of(_store(request))]}, status=status)


@require_POST
@vendor_member_required(VendorRole.OWNER)
def custom_domain_verify(request: HttpRequest, domain_id: int) -> HttpResponse:
    error: ApplicationError | None = None
    try:
        claim = domains.custom_domain_verify(store=_store(request), domain_id=domain_id)
    except ApplicationError as exc:
        error = exc
        found = domains.custom_domains_of(_store(request)).filter(pk=domain_id).first()
        if found is None:  # not this store's: as absent as a name never added
            raise Http404 from exc
        claim = found
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "storefront/_domain_row.html", {"row": _row(request, claim, error)})
    if error is not None:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s is verified and now shows your storefront.") % {"name": claim.domain})
    return redirect("dashboard-domains")


@require_POST
@vendor_member_required(VendorRole.OWNER)
def custom_domain_remove(request: HttpRequest, domain_id: int) -> HttpResponse:
    claim = domains.custom_domains_of(_store(request)).filter(pk=domain_id).first()
    if claim is None:  # not this store's: as absent as a name never added
        raise Http404
    domains.custom_domain_remove(store=_store(request), domain_id=domain_id)
    messages.success(request, _("%(name)s removed: it no longer shows your storefront.") % {"name": claim.domain})
    return redirect("dashboard-domains")
