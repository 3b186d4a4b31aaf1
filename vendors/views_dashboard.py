"""Vendor host dashboard pages of onboarding: go-live checklist, Stripe onboarding, the team."""

from __future__ import annotations

from dataclasses import asdict

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import roles
from accounts.permissions import current_vendor, vendor_member_required
from accounts.roles import VendorRole
from common.exceptions import ApplicationError
from common.hosts import host_url
from payments import gateway
from payments.errors import GatewayError
from vendors import selectors, services
from vendors.forms import InvitationForm, SellerIdentityForm, apply_error
from vendors.models import Invitation, Membership, SellerIdentity
from vendors.seller_identity import seller_identity_initial, seller_identity_save


@vendor_member_required()
@require_GET
def go_live(request: HttpRequest) -> HttpResponse:
    vendor = current_vendor(request)
    checklist = selectors.go_live_checklist(vendor=vendor)
    requirements = selectors.stripe_requirements_for(vendor=vendor)
    return render(request, "vendors/dashboard/go_live.html", {
        "checklist": checklist, "vendor": vendor,
        "remaining": sum(1 for item in checklist if not item.done),
        "can_onboard": roles.has_vendor_role(request.user, vendor, VendorRole.OWNER),
        "requirements": requirements,
        "needs_fix": requirements.action_needed or not vendor.charges_enabled,
    })


@vendor_member_required(VendorRole.OWNER)
@require_POST
def stripe_onboard(request: HttpRequest) -> HttpResponse:
    """Send the owner to Stripe's hosted onboarding through a fresh, single-use account link."""
    vendor = current_vendor(request)
    if not vendor.stripe_account_id:
        messages.error(request, _("Your payment account is still being created; try again shortly."))
        return redirect("dashboard-go-live")
    base = host_url(vendor.host, request=request)  # keep the request's scheme and port
    try:
        url = gateway.account_link_create(
            account_id=vendor.stripe_account_id,
            refresh_url=f"{base}/dashboard/go-live/stripe/refresh/",
            return_url=f"{base}/dashboard/go-live/stripe/return/",
        )
    except GatewayError as error:
        messages.error(request, error.message)
        return redirect("dashboard-go-live")
    return redirect(url)


@vendor_member_required()
@require_GET
def stripe_return(request: HttpRequest) -> HttpResponse:
    """Back from Stripe: refresh the account state now rather than wait for the webhook."""
    vendor = current_vendor(request)
    if vendor.stripe_account_id:
        try:
            account = gateway.account_retrieve(account_id=vendor.stripe_account_id)
        except GatewayError as error:
            messages.error(request, error.message)
        else:
            services.vendor_stripe_account_sync(
                account={"id": account.id, "charges_enabled": account.charges_enabled,
                         "payouts_enabled": account.payouts_enabled,
                         "details_submitted": account.details_submitted,
                         "requirements": asdict(account.requirements)},
                event_created=None,
            )
    return redirect("dashboard-go-live")


@vendor_member_required(VendorRole.OWNER)
@require_GET
def stripe_refresh(request: HttpRequest) -> HttpResponse:
    """The link expired or was used: start again with a new one."""
    messages.info(request, _("The onboarding link expired. Please start again."))
    return redirect("dashboard-go-live")


def _team_context(request: HttpRequest, form: InvitationForm | None = None) -> dict[str, object]:
    vendor = current_vendor(request)
    return {
        "members": selectors.members_of(vendor=vendor),
        "invitations": selectors.invitations_pending(vendor=vendor),
        "form": form or InvitationForm(),
        "can_manage": roles.can_manage_members(request.user, vendor),
    }


@vendor_member_required()
def team(request: HttpRequest) -> HttpResponse:
    vendor = current_vendor(request)
    if request.method == "POST":
        if not roles.can_manage_members(request.user, vendor):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        form = InvitationForm(request.POST)
        if form.is_valid():
            try:
                services.invitation_create(vendor=vendor, actor=request.user,
                                           email=form.cleaned_data["email"],
                                           role=form.cleaned_data["role"])
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("Invitation sent."))
                return redirect("dashboard-team")
        return render(request, "vendors/dashboard/team.html", _team_context(request, form),
                      status=400)
    return render(request, "vendors/dashboard/team.html", _team_context(request))


@vendor_member_required(VendorRole.OWNER)
@require_POST
def member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(Membership, pk=membership_id, vendor=current_vendor(request))
    try:
        services.membership_remove(membership=membership, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("dashboard-team")


@vendor_member_required(VendorRole.OWNER)
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=invitation_id, vendor=current_vendor(request))
    try:
        services.invitation_revoke(invitation=invitation, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("dashboard-team")



@vendor_member_required(VendorRole.OWNER)
def tax_identity(request: HttpRequest) -> HttpResponse:
    """The owner's DAC7 seller identity: shown and edited (an IBAN typed again replaces the reference)."""
    vendor = current_vendor(request)
    identity = SellerIdentity.objects.filter(vendor=vendor).first()
    if request.method == "POST":
        form = SellerIdentityForm(request.POST)
        if form.is_valid():
            try:
                seller_identity_save(data=dict(form.cleaned_data), vendor=vendor)
            except ApplicationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("Your tax identity was saved."))
                return redirect("dashboard-tax-identity")
    else:
        form = SellerIdentityForm(initial=seller_identity_initial(identity) or {
            "legal_name": vendor.name, "tin_country": vendor.country, "address_country": vendor.country})
    return render(request, "vendors/dashboard/tax_identity.html", {"form": form, "identity": identity})
