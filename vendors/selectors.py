"""Vendor reads: vendors, applications for applicants and reviewers, onboarding progress."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts import roles
from tenants.models import Store
from vendors.models import (
    ApplicationDocument,
    AuditEntry,
    Invitation,
    Membership,
    Vendor,
    VendorApplication,
)


def vendors_for_user(*, user: Any) -> QuerySet[Vendor]:
    return Vendor.objects.filter(
        memberships__user=user, memberships__is_active=True
    ).select_related("store")


def vendors_selling() -> QuerySet[Vendor]:
    return Vendor.objects.filter(status=Vendor.Status.ACTIVE, charges_enabled=True)


def vendor_account_known(account_id: str) -> bool:
    """A Connect account of one of our vendors (payments' webhook intake asks)."""
    return Vendor.objects.filter(stripe_account_id=account_id).exists()


def vendor_account_ids() -> list[str]:
    """Every vendor's Connect account id (payments' reconciliation walks them)."""
    return list(Vendor.objects.exclude(stripe_account_id="").values_list("stripe_account_id", flat=True))


APPLICATION_SORTS = {
    "submitted": "submitted_at",
    "-submitted": "-submitted_at",
    "created": "created_at",
    "-created": "-created_at",
    "name": "business_name",
    "-name": "-business_name",
}


def applications_for_review(
    *, status: str | None = None, search: str = "", sort: str = "submitted"
) -> QuerySet[VendorApplication]:
    queryset = VendorApplication.objects.select_related("applicant", "vendor").annotate(
        document_count=Count("documents")
    )
    if status:
        queryset = queryset.filter(status=status)
    else:
        queryset = queryset.exclude(status=VendorApplication.Status.DRAFT)
    if search:
        queryset = queryset.filter(
            Q(business_name__icontains=search) | Q(slug__icontains=search)
            | Q(applicant__email__icontains=search)
        )
    return queryset.order_by(APPLICATION_SORTS.get(sort, "submitted_at"), "id")


def applications_visible_to(*, user: Any) -> QuerySet[VendorApplication]:
    """Admins see every application, anyone else only their own."""
    queryset = VendorApplication.objects.select_related("applicant", "vendor", "vendor__store")
    if roles.acts_as_platform_admin(user):
        return queryset
    return queryset.filter(applicant=user)


def application_get_for(*, user: Any, application_id: int) -> VendorApplication:
    """404 (not 403) for someone else's application: its existence is not disclosed."""
    return get_object_or_404(applications_visible_to(user=user), pk=application_id)


def application_current(*, user: Any) -> VendorApplication | None:
    return (
        VendorApplication.objects.filter(applicant=user)
        .select_related("vendor", "vendor__store")
        .order_by("-created_at", "-id")
        .first()
    )


def document_get_for(*, user: Any, document_id: int) -> ApplicationDocument:
    document = get_object_or_404(
        ApplicationDocument.objects.select_related("application"), pk=document_id
    )
    if not roles.can_download_application_document(user, document.application):
        from django.http import Http404

        raise Http404
    return document


def application_history(*, application: VendorApplication) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(application=application).select_related("actor")


def vendor_history(*, vendor: Vendor) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(vendor=vendor).select_related("actor")


def vendors_for_ops(*, status: str | None = None, search: str = "") -> QuerySet[Vendor]:
    queryset = Vendor.objects.select_related("store").order_by("name", "id")
    if status:
        queryset = queryset.filter(status=status)
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(slug__icontains=search))
    return queryset


def members_of(*, vendor: Vendor) -> QuerySet[Membership]:
    return Membership.objects.filter(vendor=vendor, is_active=True).select_related("user").order_by(
        "role", "user__email"
    )


class Audience(StrEnum):
    """Who of a vendor hears about something by email."""

    OWNERS = "owners"  # the vendor's own standing: ready, suspended, reinstated
    ORDERS = "orders"  # new and cancelled orders: owners, managers and the shop's support address
    TEAM = "team"  # claims and chargebacks: every member


AUDIENCE_ROLES: dict[Audience, tuple[str, ...]] = {
    Audience.OWNERS: (roles.VendorRole.OWNER,),
    Audience.ORDERS: (roles.VendorRole.OWNER, roles.VendorRole.MANAGER),
    Audience.TEAM: (roles.VendorRole.OWNER, roles.VendorRole.MANAGER, roles.VendorRole.STAFF),
}


def vendor_audience_emails(*, vendor_id: int, audience: Audience) -> list[str]:
    """The addresses (sorted, once each) of the vendor's active members in `audience`."""
    emails = set(
        Membership.objects.filter(vendor_id=vendor_id, is_active=True, role__in=AUDIENCE_ROLES[audience])
        .values_list("user__email", flat=True)
    )
    if audience == Audience.ORDERS:
        support = Vendor.objects.filter(pk=vendor_id).values_list("support_email", flat=True).first()
        if support:
            emails.add(support)
    return sorted(email for email in emails if email)


def invitations_pending(*, vendor: Vendor) -> QuerySet[Invitation]:
    return Invitation.objects.filter(vendor=vendor, status=Invitation.Status.PENDING)


@dataclass(frozen=True)
class OnboardingStep:
    key: str
    label: str
    state: str  # "done", "running", "failed", "todo"
    detail: str = ""


@dataclass(frozen=True)
class OnboardingProgress:
    steps: list[OnboardingStep]
    finished: bool
    failed: bool
    seconds: float | None
    dashboard_url: str


def onboarding_progress(*, vendor: Vendor) -> OnboardingProgress:
    from django.utils.translation import gettext as _

    store: Store | None = vendor.store
    states: dict[str, str] = {
        Store.Status.READY: "done", Store.Status.FAILED: "failed",
        Store.Status.PROVISIONING: "running",
    }
    store_state = states.get(store.status if store else "", "running")
    if vendor.stripe_account_id:
        account_state = "done"
    elif vendor.onboarding_error:
        account_state = "failed"
    else:
        account_state = "todo" if store_state != "done" else "running"
    live_state = "done" if vendor.status != Vendor.Status.ONBOARDING else "todo"
    steps = [
        OnboardingStep("approved", _("Application approved"), "done"),
        OnboardingStep("schema", _("Store database created"), store_state,
                       store.provisioning_error if store and store_state == "failed" else ""),
        OnboardingStep("account", _("Payment account created"), account_state,
                       vendor.onboarding_error if account_state == "failed" else ""),
        OnboardingStep("live", _("Store opened"), live_state),
    ]
    failed = any(step.state == "failed" for step in steps)
    return OnboardingProgress(
        steps=steps, finished=live_state == "done", failed=failed,
        seconds=store.provisioning_seconds if store else None,
        dashboard_url=vendor_url(vendor, "/dashboard/go-live/"),
    )


def vendor_url(vendor: Vendor, path: str = "/") -> str:
    from common.hosts import vendor_url as host_vendor_url

    return host_vendor_url(vendor, path)


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    done: bool
    detail: str = ""


def go_live_checklist(*, vendor: Vendor) -> list[ChecklistItem]:
    """What remains before the vendor sells; runs in the vendor's schema (dashboard request)."""
    from django.utils.translation import gettext as _

    from catalog.models import Product
    from storefront.models import StorefrontSettings

    storefront = StorefrontSettings.objects.first()
    from vendors.stripe_requirements import requirement_labels

    requirements = ", ".join(requirement_labels(vendor.stripe_requirements or []))
    return [
        ChecklistItem("schema", _("Store database ready"),
                      bool(vendor.store and vendor.store.status == Store.Status.READY)),
        ChecklistItem("stripe_onboarding", _("Stripe onboarding completed"),
                      vendor.stripe_details_submitted, requirements),
        ChecklistItem("charges", _("Card payments enabled"), vendor.charges_enabled, requirements),
        ChecklistItem("payouts", _("Payouts enabled"), vendor.payouts_enabled),
        ChecklistItem("product", _("At least one active product"),
                      Product.objects.filter(status=Product.Status.ACTIVE).exists()),
        ChecklistItem("storefront", _("Storefront settings completed"),
                      bool(storefront and storefront.is_complete)),
    ]


@dataclass(frozen=True)
class StripeRequirements:
    """What Stripe asks of the vendor, in words, for the go-live page."""

    past_due: list[str]
    currently_due: list[str]
    eventually_due: list[str]  # due later, not yet now
    deadline: datetime | None
    disabled_reason: str

    @property
    def action_needed(self) -> bool:
        return bool(self.past_due or self.currently_due)

    @property
    def any(self) -> bool:
        return bool(self.action_needed or self.eventually_due or self.disabled_reason)


def stripe_requirements_for(*, vendor: Vendor) -> StripeRequirements:
    from vendors.stripe_requirements import disabled_reason_label, requirement_labels

    detail = vendor.stripe_requirements_detail or {}
    past = requirement_labels(detail.get("past_due") or [])
    current = [label for label in requirement_labels(detail.get("currently_due") or []) if label not in past]
    later = [label for label in requirement_labels(detail.get("eventually_due") or [])
             if label not in past and label not in current]
    return StripeRequirements(
        past_due=past, currently_due=current, eventually_due=later,
        deadline=vendor.stripe_requirements_deadline,
        disabled_reason=disabled_reason_label(vendor.stripe_disabled_reason),
    )


@dataclass(frozen=True)
class PaymentsStatus:
    """Where the vendor's Stripe account stands, in one word for a badge and one line of what
    to do; `code` is a status_badge code (success/warning/danger tones)."""

    code: str
    label: str
    next_step: str
    requirements: StripeRequirements


def payments_status(*, vendor: Vendor) -> PaymentsStatus:
    from django.utils.translation import gettext as _

    requirements = stripe_requirements_for(vendor=vendor)
    if not vendor.stripe_account_id:
        return PaymentsStatus("draft", _("Not connected"), _("Connect a Stripe account to get paid."), requirements)
    if requirements.past_due or requirements.disabled_reason:
        return PaymentsStatus("failed", _("Restricted"), _("Stripe needs information before it pays you."),
                              requirements)
    if requirements.currently_due or not (vendor.charges_enabled and vendor.payouts_enabled):
        return PaymentsStatus("changes_requested", _("Action needed"),
                              _("Finish the details Stripe asks for."), requirements)
    return PaymentsStatus("active", _("Ready"), _("Card payments and payouts are enabled."), requirements)
