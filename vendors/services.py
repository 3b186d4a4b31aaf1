"""Vendor writes: onboarding applications and their review, vendors, memberships, invitations."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from django.apps import apps
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import VendorRole
from common.exceptions import Conflict, PermissionDenied
from common.mail import messages_localized
from common.money import MoneyError, validate_currency
from tenants import services as tenant_services
from tenants.models import Store
from vendors.errors import (
    ApplicationIncomplete,
    InvalidApplication,
    InvalidTransition,
    InvitationEmailMismatch,
    InvitationInvalid,
    OffboardingConflict,
    ReasonRequired,
    SlugUnavailable,
)
from vendors.models import (
    ApplicationDocument,
    AuditEntry,
    Invitation,
    Membership,
    Vendor,
    VendorApplication,
    VendorOffboarding,
)
from vendors.selectors import Audience, vendor_audience_emails
from vendors.seller_identity import seller_identity_attach, seller_identity_save
from vendors.stripe_requirements import (
    disabled_reason_label,
    requirement_labels,
    requirements_new,
)
from vendors.uploads import (
    DOCUMENT_MAX_BYTES,
    DOCUMENT_TYPES,
    IMAGE_TYPES,
    LOGO_MAX_BYTES,
    upload_check,
)

logger = logging.getLogger(__name__)

AppStatus = VendorApplication.Status
VendorStatus = Vendor.Status

# The one table of application moves: action → (states it may start from, state it ends in).
APPLICATION_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({AppStatus.DRAFT, AppStatus.CHANGES_REQUESTED}), AppStatus.SUBMITTED),
    "request_changes": (frozenset({AppStatus.SUBMITTED}), AppStatus.CHANGES_REQUESTED),
    "approve": (frozenset({AppStatus.SUBMITTED}), AppStatus.APPROVED),
    "reject": (
        frozenset({AppStatus.SUBMITTED, AppStatus.CHANGES_REQUESTED}), AppStatus.REJECTED
    ),
}
# Vendor moves. Reinstating a vendor whose store never went live returns it to onboarding.
VENDOR_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "activate": (frozenset({VendorStatus.ONBOARDING}), VendorStatus.ACTIVE),
    "suspend": (frozenset({VendorStatus.ONBOARDING, VendorStatus.ACTIVE}), VendorStatus.SUSPENDED),
    "reinstate": (frozenset({VendorStatus.SUSPENDED}), VendorStatus.ACTIVE),
    "close": (frozenset({VendorStatus.ONBOARDING, VendorStatus.ACTIVE, VendorStatus.SUSPENDED}),
              VendorStatus.CLOSED),
    "reopen": (frozenset({VendorStatus.CLOSED}), VendorStatus.ACTIVE),
}

EDITABLE_FIELDS = (
    "business_name", "legal_form", "country", "currency", "contact_name", "contact_email",
    "contact_phone", "slug", "categories", "description",
)
REQUIRED_FOR_SUBMIT = (
    "business_name", "legal_form", "country", "currency", "contact_name", "contact_email",
    "slug", "description",
)
MAX_DOCUMENTS = 10
INVITATION_DAYS = 14


def _transition(table: dict[str, tuple[frozenset[str], str]], action: str, current: str) -> str:
    sources, target = table[action]
    if current not in sources:
        raise InvalidTransition(
            _("This is not possible while the status is “%(status)s”.") % {"status": current},
            extra={"action": action, "status": current},
        )
    return target


def _audit(
    *, actor: Any, action: str, application: VendorApplication | None = None,
    vendor: Vendor | None = None, from_status: str = "", to_status: str = "", reason: str = "",
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None, action=action,
        application=application, vendor=vendor, from_status=from_status, to_status=to_status,
        reason=reason,
    )


def _email(*, template: str, to: Iterable[str], context: dict[str, Any]) -> None:
    """Send after commit: a rolled-back decision never sends an email."""
    recipients = sorted({address for address in to if address})
    if not recipients:
        return
    context = {"platform_name": settings.PLATFORM_NAME, "platform_url": platform_url(), **context}

    def render() -> tuple[str, str]:
        return (render_to_string(f"vendors/email/{template}_subject.txt", context).strip(),
                render_to_string(f"vendors/email/{template}_body.txt", context))

    # Rendered now in each recipient's language (their account's), sent after commit.
    messages = messages_localized(recipients, render)
    transaction.on_commit(lambda: [
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, addresses) for subject, body, addresses in messages
    ])


def platform_url(host: str | None = None) -> str:
    from common.hosts import host_url

    return host_url(host or settings.PLATFORM_DOMAIN)


def _admin_emails() -> list[str]:
    from accounts.models import User

    return list(
        User.objects.filter(platform_role="admin", is_active=True).values_list("email", flat=True)
    )


def _clean_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ReasonRequired(_("Please give a reason."), fields={"reason": ["required"]})
    return reason[:5000]


# --- slugs and categories ---------------------------------------------------------------------


def slug_availability_check(*, slug: str, application: VendorApplication | None = None) -> str:
    """The normalised slug if it is valid and free; raises InvalidSlug / SlugUnavailable."""
    slug = tenant_services.slug_validate(slug)
    taken = (
        Vendor.objects.filter(slug=slug).exists()
        or Store.objects.filter(schema_name=tenant_services.schema_name_for(slug)).exists()
    )
    held = VendorApplication.objects.filter(
        slug=slug, status__in=VendorApplication.SLUG_HOLDING_STATUSES
    )
    if application is not None:
        held = held.exclude(pk=application.pk)
    if taken or held.exists():
        raise SlugUnavailable(
            _("The address “%(slug)s” is already taken.") % {"slug": slug},
            fields={"slug": ["taken"]},
        )
    return slug


def _category_model() -> Any:
    try:
        return apps.get_model("marketplace", "Category")
    except LookupError:
        return None


def categories_clean(values: Any) -> list[Any]:
    """Ids of `marketplace.Category` when that model exists, else a short list of names."""
    if values in (None, ""):
        return []
    if not isinstance(values, list):
        raise InvalidApplication(_("Categories must be a list."), fields={"categories": ["invalid"]})
    category_model = _category_model()
    if category_model is not None:
        try:
            ids = sorted({int(value) for value in values})
        except (TypeError, ValueError) as exc:
            raise InvalidApplication(
                _("Unknown category."), fields={"categories": ["invalid"]}
            ) from exc
        found = set(category_model.objects.filter(pk__in=ids).values_list("pk", flat=True))
        if found != set(ids):
            raise InvalidApplication(_("Unknown category."), fields={"categories": ["invalid"]})
        return ids
    names: list[str] = []
    for value in values:
        name = str(value).strip()[:60]
        if name and name not in names:
            names.append(name)
    if len(names) > 20:
        raise InvalidApplication(_("At most 20 categories."), fields={"categories": ["too_many"]})
    return names


# --- applications -----------------------------------------------------------------------------


def _lock(application: VendorApplication) -> VendorApplication:
    return VendorApplication.objects.select_for_update().get(pk=application.pk)


def _assert_applicant(application: VendorApplication, actor: Any) -> None:
    if application.applicant_id != getattr(actor, "pk", None):
        raise PermissionDenied(_("Only the applicant can change this application."))


def _assert_editable(application: VendorApplication) -> None:
    if not application.is_editable:
        raise InvalidTransition(
            _("The application can no longer be changed (status “%(status)s”).")
            % {"status": application.get_status_display()}
        )


@transaction.atomic
def application_create(*, applicant: Any, **fields: Any) -> VendorApplication:
    if VendorApplication.objects.filter(
        applicant=applicant, status__in=VendorApplication.OPEN_STATUSES
    ).exists():
        raise Conflict(_("You already have an open application."), code="application_open")
    if Membership.objects.filter(user=applicant, role=VendorRole.OWNER, is_active=True).exists():
        raise Conflict(_("You already own a store."), code="already_vendor")
    try:
        with transaction.atomic():
            application = VendorApplication.objects.create(
                applicant=applicant, contact_email=applicant.email,
                contact_name=getattr(applicant, "full_name", "") or "",
            )
    except IntegrityError as exc:
        raise Conflict(_("You already have an open application."), code="application_open") from exc
    if fields:
        application = application_update(application=application, actor=applicant, **fields)
    return application


@transaction.atomic
def application_update(
    *, application: VendorApplication, actor: Any, **changes: Any
) -> VendorApplication:
    """Save part of the form (any step); the draft may stay incomplete until submission."""
    application = _lock(application)
    _assert_applicant(application, actor)
    _assert_editable(application)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidApplication(
            _("Unknown fields."), fields={name: ["unknown"] for name in sorted(unknown)}
        )
    if "slug" in changes:
        slug = (changes["slug"] or "").strip().lower()
        changes["slug"] = tenant_services.slug_validate(slug) if slug else ""
    if "currency" in changes:
        try:
            changes["currency"] = validate_currency(changes["currency"])
        except MoneyError as exc:
            raise InvalidApplication(str(exc), fields={"currency": ["invalid"]}) from exc
    if "categories" in changes:
        changes["categories"] = categories_clean(changes["categories"])
    if "legal_form" in changes and changes["legal_form"] not in (
        "", *VendorApplication.LegalForm.values
    ):
        raise InvalidApplication(_("Unknown legal form."), fields={"legal_form": ["invalid"]})
    for field, value in changes.items():
        setattr(application, field, "" if value is None else value)
    application.save(update_fields=[*changes.keys(), "updated_at"])
    return application


@transaction.atomic
def application_identity_set(*, application: VendorApplication, actor: Any, data: dict[str, Any]) -> Any:
    """The applicant's DAC7 seller identity (vendors.seller_identity), while the draft is editable."""
    application = _lock(application)
    _assert_applicant(application, actor)
    _assert_editable(application)
    return seller_identity_save(data=data, application=application)


@transaction.atomic
def application_logo_set(*, application: VendorApplication, actor: Any, upload: Any) -> VendorApplication:
    checked = upload_check(
        upload=upload, allowed=IMAGE_TYPES, max_bytes=LOGO_MAX_BYTES, field="logo"
    )
    application = _lock(application)
    _assert_applicant(application, actor)
    _assert_editable(application)
    old_name = application.logo.name if application.logo else ""
    application.logo.save(checked.stored_name(), checked.file, save=False)
    application.save(update_fields=["logo", "updated_at"])
    if old_name:
        storage = application.logo.storage
        transaction.on_commit(lambda: storage.delete(old_name))
    return application


@transaction.atomic
def application_document_add(
    *, application: VendorApplication, actor: Any, upload: Any,
    kind: str = ApplicationDocument.Kind.REGISTRATION,
) -> ApplicationDocument:
    if kind not in ApplicationDocument.Kind.values:
        raise InvalidApplication(_("Unknown document kind."), fields={"kind": ["invalid"]})
    checked = upload_check(
        upload=upload, allowed=DOCUMENT_TYPES, max_bytes=DOCUMENT_MAX_BYTES, field="file"
    )
    application = _lock(application)
    _assert_applicant(application, actor)
    _assert_editable(application)
    if application.documents.count() >= MAX_DOCUMENTS:
        raise InvalidApplication(
            _("At most %(n)s documents.") % {"n": MAX_DOCUMENTS}, code="too_many_documents",
            fields={"file": ["too_many"]},
        )
    document = ApplicationDocument(
        application=application, kind=kind, original_name=checked.original_name,
        content_type=checked.content_type, size=checked.size, uploaded_by=actor,
    )
    document.file.save(checked.stored_name(), checked.file, save=True)
    return document


@transaction.atomic
def application_document_remove(*, document: ApplicationDocument, actor: Any) -> None:
    application = _lock(document.application)
    _assert_applicant(application, actor)
    _assert_editable(application)
    name, storage = document.file.name or "", document.file.storage
    document.delete()
    transaction.on_commit(lambda: storage.delete(name))


def application_missing_fields(application: VendorApplication) -> list[str]:
    missing = [name for name in REQUIRED_FOR_SUBMIT if not getattr(application, name)]
    if not application.categories:
        missing.append("categories")
    if not application.documents.exists():
        missing.append("documents")
    return missing


@transaction.atomic
def application_submit(*, application: VendorApplication, actor: Any) -> VendorApplication:
    application = _lock(application)
    _assert_applicant(application, actor)
    target = _transition(APPLICATION_TRANSITIONS, "submit", application.status)
    missing = application_missing_fields(application)
    if missing:
        raise ApplicationIncomplete(
            _("Please complete the application before submitting."),
            fields={name: ["required"] for name in missing},
        )
    slug_availability_check(slug=application.slug, application=application)
    previous = application.status
    application.status = target
    application.submitted_at = timezone.now()
    try:
        with transaction.atomic():
            application.save(update_fields=["status", "submitted_at", "updated_at"])
    except IntegrityError as exc:  # another application took the slug a moment ago
        raise SlugUnavailable(
            _("The address “%(slug)s” is already taken.") % {"slug": application.slug},
            fields={"slug": ["taken"]},
        ) from exc
    _audit(actor=actor, action=AuditEntry.Action.APPLICATION_SUBMIT, application=application,
           from_status=previous, to_status=target)
    context = {"application": application}
    _email(template="application_submitted", to=[application.contact_email, actor.email],
           context=context)
    _email(template="application_to_review", to=_admin_emails(), context=context)
    return application


def _decide(
    *, application: VendorApplication, action: str, reason: str
) -> tuple[VendorApplication, str]:
    application = _lock(application)
    target = _transition(APPLICATION_TRANSITIONS, action, application.status)
    previous = application.status
    application.status = target
    application.reviewer_message = reason
    application.decided_at = timezone.now()
    return application, previous


@transaction.atomic
def application_request_changes(
    *, application: VendorApplication, actor: Any, reason: str
) -> VendorApplication:
    reason = _clean_reason(reason, required=True)
    application, previous = _decide(
        application=application, action="request_changes", reason=reason
    )
    application.save(update_fields=["status", "reviewer_message", "decided_at", "updated_at"])
    _audit(actor=actor, action=AuditEntry.Action.APPLICATION_REQUEST_CHANGES,
           application=application, from_status=previous, to_status=application.status,
           reason=reason)
    _email(template="application_changes_requested", to=[application.applicant.email],
           context={"application": application, "reason": reason})
    return application


@transaction.atomic
def application_reject(
    *, application: VendorApplication, actor: Any, reason: str
) -> VendorApplication:
    reason = _clean_reason(reason, required=True)
    application, previous = _decide(
        application=application, action="reject", reason=reason
    )
    application.save(update_fields=["status", "reviewer_message", "decided_at", "updated_at"])
    _audit(actor=actor, action=AuditEntry.Action.APPLICATION_REJECT, application=application,
           from_status=previous, to_status=application.status, reason=reason)
    _email(template="application_rejected", to=[application.applicant.email],
           context={"application": application, "reason": reason})
    return application


@transaction.atomic
def application_approve(
    *, application: VendorApplication, actor: Any, reason: str = ""
) -> VendorApplication:
    """Approve: create the vendor (store record, owner), then provision it in the background.

    The row lock makes a second approval (double click, two admins) wait and then fail on the
    state check, so there is never a second vendor, schema or Connect account.
    """
    reason = _clean_reason(reason, required=False)
    application, previous = _decide(
        application=application, action="approve", reason=reason
    )
    vendor = vendor_create(
        slug=application.slug, name=application.business_name, owner=application.applicant,
        currency=application.currency, country=str(application.country),
        status=Vendor.Status.ONBOARDING, queue_provisioning=False,
    )
    vendor.description = application.description
    vendor.support_email = application.contact_email
    vendor.save(update_fields=["description", "support_email", "updated_at"])
    application.vendor = vendor
    application.save(
        update_fields=["status", "reviewer_message", "decided_at", "vendor", "updated_at"]
    )
    seller_identity_attach(application=application, vendor=vendor)
    _audit(actor=actor, action=AuditEntry.Action.APPLICATION_APPROVE, application=application,
           vendor=vendor, from_status=previous, to_status=application.status, reason=reason)
    _onboarding_queue(vendor_id=vendor.pk)
    _email(template="application_approved", to=[application.applicant.email],
           context={"application": application, "vendor": vendor, "reason": reason,
                    "dashboard_url": platform_url(vendor.host) + "/dashboard/"})
    return application


# --- vendors ----------------------------------------------------------------------------------


def vendor_create(
    *,
    slug: str,
    name: str,
    owner: Any,
    currency: str = "EUR",
    country: str = "DE",
    status: str = Vendor.Status.ONBOARDING,
    provision_now: bool = False,
    queue_provisioning: bool = True,
) -> Vendor:
    """Create the vendor, its store record and its owner membership.

    The schema is provisioned by a task after commit, or at once with `provision_now`
    (management commands, demo data, tests). Callers that provision in their own task (the
    onboarding task) pass `queue_provisioning=False`.
    """
    slug = tenant_services.slug_validate(slug)
    with transaction.atomic():
        if Vendor.objects.filter(slug=slug).exists():
            raise Conflict(_("The store “%(slug)s” already exists.") % {"slug": slug}, code="slug_taken")
        store = tenant_services.store_create(slug=slug, name=name)
        vendor = Vendor.objects.create(
            slug=slug, name=name, store=store, currency=currency, country=country, status=status
        )
        Membership.objects.create(user=owner, vendor=vendor, role=VendorRole.OWNER)
        if not provision_now and queue_provisioning:
            tenant_services.store_provision_async(store_id=store.pk)
    if provision_now:
        vendor.store = tenant_services.store_provision(store_id=store.pk)
    return vendor


def _onboarding_queue(*, vendor_id: int) -> None:
    from vendors.tasks import vendor_onboarding_task

    transaction.on_commit(lambda: vendor_onboarding_task.delay(vendor_id))


def vendor_onboarding_run(*, vendor_id: int) -> Vendor:
    """Provision the schema, create the Connect account, then activate. Idempotent, retryable.

    Each step is idempotent on its own (provisioning under an advisory lock, the account under the
    vendor's row lock and a gateway idempotency key), so a retry resumes where it failed.
    """
    vendor = Vendor.objects.select_related("store").get(pk=vendor_id)
    Vendor.objects.filter(pk=vendor_id).update(onboarding_error="")
    if vendor.store_id is None:
        raise InvalidTransition(_("This vendor has no store."))
    store = tenant_services.store_provision(store_id=vendor.store_id)
    if store.status != Store.Status.READY:
        return vendor
    try:
        vendor_connect_account_ensure(vendor_id=vendor_id)
    except Exception as exc:
        logger.exception("connect account for vendor %s failed", vendor_id)
        Vendor.objects.filter(pk=vendor_id).update(
            onboarding_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    return vendor_activate(vendor_id=vendor_id)


def vendor_connect_account_ensure(*, vendor_id: int) -> Vendor:
    """Create the vendor's Connect Express account once (keyed by the vendor in the gateway)."""
    from payments import gateway

    with transaction.atomic():
        vendor = Vendor.objects.select_for_update().get(pk=vendor_id)
        if vendor.stripe_account_id:
            return vendor
        owner = Membership.objects.filter(vendor=vendor, role=VendorRole.OWNER).select_related(
            "user"
        ).first()
        account = gateway.account_create(
            vendor_id=vendor.pk, country=vendor.country,
            email=vendor.support_email or (owner.user.email if owner else ""),
            business_name=vendor.name,
        )
        vendor.stripe_account_id = account.id
        vendor.charges_enabled = account.charges_enabled
        vendor.payouts_enabled = account.payouts_enabled
        vendor.stripe_details_submitted = account.details_submitted
        vendor.stripe_requirements = list(account.requirements_due)
        vendor.stripe_requirements_detail = {
            "currently_due": account.requirements.currently_due,
            "past_due": account.requirements.past_due,
            "eventually_due": account.requirements.eventually_due,
        }
        vendor.save(update_fields=[
            "stripe_account_id", "charges_enabled", "payouts_enabled",
            "stripe_details_submitted", "stripe_requirements", "stripe_requirements_detail",
            "updated_at",
        ])
        return vendor


@transaction.atomic
def vendor_activate(*, vendor_id: int) -> Vendor:
    vendor = Vendor.objects.select_for_update().get(pk=vendor_id)
    if vendor.status != VendorStatus.ONBOARDING:
        return vendor  # already live, or suspended meanwhile: nothing to do
    target = _transition(VENDOR_TRANSITIONS, "activate", vendor.status)
    vendor.status = target
    vendor.save(update_fields=["status", "updated_at"])
    _audit(actor=None, action=AuditEntry.Action.VENDOR_ACTIVATE, vendor=vendor,
           from_status=VendorStatus.ONBOARDING, to_status=target)
    _email(template="vendor_ready",
           to=vendor_audience_emails(vendor_id=vendor.pk, audience=Audience.OWNERS),
           context={"vendor": vendor, "dashboard_url": platform_url(vendor.host) + "/dashboard/"})
    return vendor


@transaction.atomic
def vendor_onboarding_retry(*, vendor: Vendor, actor: Any) -> Vendor:
    vendor = Vendor.objects.select_for_update(of=("self",)).select_related("store").get(pk=vendor.pk)
    store_failed = vendor.store is not None and vendor.store.status == Store.Status.FAILED
    if not (store_failed or vendor.onboarding_error):
        raise InvalidTransition(_("Nothing to retry: onboarding has not failed."))
    if store_failed:
        Store.objects.filter(pk=vendor.store_id).update(status=Store.Status.PENDING)
    vendor.onboarding_error = ""
    vendor.save(update_fields=["onboarding_error", "updated_at"])
    _audit(actor=actor, action=AuditEntry.Action.VENDOR_ONBOARDING_RETRY, vendor=vendor)
    _onboarding_queue(vendor_id=vendor.pk)
    return vendor


class VisibilityFollower(Protocol):
    def __call__(self, *, vendor_id: int, visible: bool) -> None: ...


# Apps above vendors that follow a suspension or reinstatement (marketplace hides or shows the
# vendor's listings) subscribe in their `ready()`: vendors may not import them (docs/adr/0040).
_VISIBILITY_FOLLOWERS: list[VisibilityFollower] = []


def vendor_visibility_follow(follower: VisibilityFollower) -> VisibilityFollower:
    """Call `follower(vendor_id=, visible=)` inside every suspending or reinstating transaction."""
    if follower not in _VISIBILITY_FOLLOWERS:
        _VISIBILITY_FOLLOWERS.append(follower)
    return follower


def _visibility_changed(*, vendor_id: int, visible: bool) -> None:
    for follower in _VISIBILITY_FOLLOWERS:
        follower(vendor_id=vendor_id, visible=visible)


@transaction.atomic
def vendor_suspend(*, vendor: Vendor, actor: Any, reason: str) -> Vendor:
    reason = _clean_reason(reason, required=True)
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    previous = vendor.status
    vendor.status = _transition(VENDOR_TRANSITIONS, "suspend", vendor.status)
    vendor.suspended_at = timezone.now()
    vendor.save(update_fields=["status", "suspended_at", "updated_at"])
    _audit(actor=actor, action=AuditEntry.Action.VENDOR_SUSPEND, vendor=vendor,
           from_status=previous, to_status=vendor.status, reason=reason)
    # In the same transaction: listings disappear the moment the suspension commits.
    _visibility_changed(vendor_id=vendor.pk, visible=False)
    _email(template="vendor_suspended",
           to=vendor_audience_emails(vendor_id=vendor.pk, audience=Audience.OWNERS),
           context={"vendor": vendor, "reason": reason})
    return vendor


@transaction.atomic
def vendor_reinstate(*, vendor: Vendor, actor: Any, reason: str = "") -> Vendor:
    reason = _clean_reason(reason, required=False)
    vendor = Vendor.objects.select_for_update(of=("self",)).select_related("store").get(pk=vendor.pk)
    previous = vendor.status
    target = _transition(VENDOR_TRANSITIONS, "reinstate", vendor.status)
    if vendor.store is None or vendor.store.status != Store.Status.READY:
        target = VendorStatus.ONBOARDING
    vendor.status = target
    vendor.suspended_at = None
    vendor.save(update_fields=["status", "suspended_at", "updated_at"])
    _audit(actor=actor, action=AuditEntry.Action.VENDOR_REINSTATE, vendor=vendor,
           from_status=previous, to_status=target, reason=reason)
    _visibility_changed(vendor_id=vendor.pk, visible=True)
    _email(template="vendor_reinstated",
           to=vendor_audience_emails(vendor_id=vendor.pk, audience=Audience.OWNERS),
           context={"vendor": vendor, "reason": reason})
    return vendor


@transaction.atomic
def vendor_profile_update(*, vendor: Vendor, **changes: Any) -> Vendor:
    allowed = {"name", "description", "support_email", "content_language"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidApplication(
            _("Unknown fields."), fields={name: ["unknown"] for name in sorted(unknown)}
        )
    if "content_language" in changes and changes["content_language"] not in dict(settings.LANGUAGES):
        raise InvalidApplication(_("Unknown language."), fields={"content_language": ["invalid"]})
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    for field, value in changes.items():
        setattr(vendor, field, value)
    vendor.save(update_fields=[*changes.keys(), "updated_at"])
    return vendor


@transaction.atomic
def vendor_stripe_account_sync(
    *, account: dict[str, Any], event_created: datetime | None
) -> Vendor | None:
    """Apply a Connect account's state unless a newer one is already held (order-tolerant).

    Requirements that newly came due after onboarding are emailed to the owners once: what was
    emailed is kept, so a replayed or repeated event sends nothing.
    """
    from payments.gateway import account_requirements_from_dict

    vendor = Vendor.objects.select_for_update().filter(stripe_account_id=account.get("id")).first()
    if vendor is None:
        return None
    held = vendor.stripe_account_synced_at
    if held is not None and event_created is not None and event_created < held:
        return vendor  # an older event arriving late: the state held is newer
    requirements = account_requirements_from_dict(account.get("requirements"))
    vendor.charges_enabled = bool(account.get("charges_enabled"))
    vendor.payouts_enabled = bool(account.get("payouts_enabled"))
    vendor.stripe_details_submitted = bool(account.get("details_submitted"))
    vendor.stripe_requirements = sorted({*requirements.currently_due, *requirements.past_due})
    vendor.stripe_requirements_detail = {
        "currently_due": requirements.currently_due, "past_due": requirements.past_due,
        "eventually_due": requirements.eventually_due,
    }
    vendor.stripe_requirements_deadline = (
        datetime.fromtimestamp(requirements.current_deadline, tz=UTC)
        if requirements.current_deadline else None
    )
    vendor.stripe_disabled_reason = (requirements.disabled_reason or "")[:64]
    # Stripe's `created` has whole seconds: state fetched now counts as of the start of this
    # second, so an event created in the same second is not mistaken for an older one.
    fetched_at = timezone.now().replace(microsecond=0)
    vendor.stripe_account_synced_at = max(filter(None, [held, event_created or fetched_at]))
    fields = ["charges_enabled", "payouts_enabled", "stripe_details_submitted", "stripe_requirements",
              "stripe_requirements_detail", "stripe_requirements_deadline", "stripe_disabled_reason",
              "stripe_account_synced_at", "updated_at"]
    if vendor.stripe_details_submitted:  # before that, the onboarding form itself asks for them
        _requirements_notify(vendor)
        fields.append("stripe_requirements_notified")
    vendor.save(update_fields=fields)
    return vendor


def _requirements_notify(vendor: Vendor) -> None:
    """Email the owners about items not in the last email, then remember what is due now."""
    detail = vendor.stripe_requirements_detail
    new = requirements_new(detail=detail, notified=vendor.stripe_requirements_notified or {})
    vendor.stripe_requirements_notified = {
        "currently_due": list(detail["currently_due"]), "past_due": list(detail["past_due"]),
    }
    if not new:
        return
    _email(template="stripe_requirements_due",
           to=vendor_audience_emails(vendor_id=vendor.pk, audience=Audience.OWNERS),
           context={"vendor": vendor, "past_due": requirement_labels(new.past_due),
                    "currently_due": requirement_labels(new.currently_due),
                    "deadline": vendor.stripe_requirements_deadline,
                    "disabled_reason": disabled_reason_label(vendor.stripe_disabled_reason),
                    "go_live_url": platform_url(vendor.host) + "/dashboard/go-live/"})


# --- members and invitations ------------------------------------------------------------------


@transaction.atomic
def membership_add(*, vendor: Vendor, user: Any, role: str) -> Membership:
    membership, created = Membership.objects.get_or_create(
        vendor=vendor, user=user, defaults={"role": role}
    )
    if not created:
        raise Conflict(_("This user is already a member of the store."), code="already_member")
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: Any) -> None:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == VendorRole.OWNER:
        raise Conflict(_("The owner cannot be removed."), code="owner_not_removable")
    _audit(actor=actor, action=AuditEntry.Action.MEMBER_REMOVE, vendor=membership.vendor,
           reason=f"{membership.user.email} ({membership.role})")
    membership.delete()


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def invitation_create(*, vendor: Vendor, actor: Any, email: str, role: str) -> tuple[Invitation, str]:
    """Invite by email; returns the invitation and the secret of its link (stored hashed)."""
    email = (email or "").strip().lower()
    if role not in (VendorRole.MANAGER, VendorRole.STAFF):
        raise InvalidApplication(_("Choose manager or staff."), fields={"role": ["invalid"]})
    if not email or "@" not in email:
        raise InvalidApplication(_("Enter a valid email address."), fields={"email": ["invalid"]})
    if Membership.objects.filter(vendor=vendor, user__email=email).exists():
        raise Conflict(_("This person is already a member."), code="already_member",
                       fields={"email": ["already_member"]})
    Invitation.objects.select_for_update().filter(
        vendor=vendor, email=email, status=Invitation.Status.PENDING
    ).update(status=Invitation.Status.REVOKED)
    secret = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        vendor=vendor, email=email, role=role, token=_token_hash(secret), invited_by=actor,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    _audit(actor=actor, action=AuditEntry.Action.MEMBER_INVITE, vendor=vendor,
           reason=f"{email} ({role})")
    _email(template="invitation", to=[email], context={
        "vendor": vendor, "invitation": invitation, "inviter": actor,
        "accept_url": platform_url() + f"/sell/invitations/{secret}/",
    })
    return invitation, secret


def invitation_for_secret(secret: str) -> Invitation:
    invitation = Invitation.objects.select_related("vendor").filter(
        token=_token_hash(secret or ""), status=Invitation.Status.PENDING,
        expires_at__gt=timezone.now(),
    ).first()
    if invitation is None:
        raise InvitationInvalid(_("This invitation is invalid or has expired."))
    return invitation


@transaction.atomic
def invitation_accept(*, secret: str, user: Any) -> Membership:
    invitation = invitation_for_secret(secret)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.email.lower() != user.email.lower():
        raise InvitationEmailMismatch(
            _("This invitation was sent to another email address.")
        )
    membership, created = Membership.objects.get_or_create(
        vendor=invitation.vendor, user=user, defaults={"role": invitation.role}
    )
    if not created and not membership.is_active:
        membership.is_active = True
        membership.role = invitation.role
        membership.save(update_fields=["is_active", "role", "updated_at"])
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_at", "updated_at"])
    _audit(actor=user, action=AuditEntry.Action.MEMBER_JOIN, vendor=invitation.vendor,
           reason=f"{user.email} ({membership.role})")
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: Any) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != Invitation.Status.PENDING:
        raise InvalidTransition(_("Only pending invitations can be revoked."))
    invitation.status = Invitation.Status.REVOKED
    invitation.save(update_fields=["status", "updated_at"])
    return invitation


# --- offboarding: close a store, reopen it before its schema is dropped -------------------------
@transaction.atomic
def vendor_close(*, vendor: Vendor, actor: Any, reason: str) -> VendorOffboarding:
    """Close the store: its listings are hidden and it takes no new order at once; its open orders
    and claims finish; `support`'s sweep settles, exports, archives and later drops it. A second
    request while one runs is refused, changing nothing."""
    reason = _clean_reason(reason, required=True)
    vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
    running = VendorOffboarding.objects.filter(vendor=vendor, status__in=VendorOffboarding.ACTIVE).first()
    if running is not None:
        raise OffboardingConflict(
            _("This store is already being closed (since %(date)s); there is nothing more to request.")
            % {"date": running.created_at.date().isoformat()}, extra={"offboarding": running.pk})
    previous = vendor.status
    vendor.status = _transition(VENDOR_TRANSITIONS, "close", vendor.status)
    vendor.save(update_fields=["status", "updated_at"])
    offboarding = VendorOffboarding.objects.create(vendor=vendor, reason=reason,
                                                   requested_by=actor if getattr(actor, "pk", None) else None)
    _audit(actor=actor, action=AuditEntry.Action.VENDOR_CLOSE, vendor=vendor, from_status=previous,
           to_status=vendor.status, reason=reason)
    _visibility_changed(vendor_id=vendor.pk, visible=False)
    return offboarding


@transaction.atomic
def vendor_reopen(*, vendor: Vendor, actor: Any, reason: str = "") -> Vendor:
    """Open a closed store again, any time before its schema is dropped."""
    reason = _clean_reason(reason, required=False)
    vendor = Vendor.objects.select_for_update(of=("self",)).select_related("store").get(pk=vendor.pk)
    offboarding = VendorOffboarding.objects.select_for_update().filter(
        vendor=vendor, status__in=VendorOffboarding.ACTIVE).first()
    if offboarding is None or offboarding.status == VendorOffboarding.Status.DROPPED:
        raise OffboardingConflict(_("This store cannot be reopened: it is not closing, or its data is gone."))
    previous = vendor.status
    target = _transition(VENDOR_TRANSITIONS, "reopen", vendor.status)
    if vendor.store is None or vendor.store.status != Store.Status.READY:
        target = VendorStatus.ONBOARDING
    vendor.status = target
    vendor.save(update_fields=["status", "updated_at"])
    offboarding.status, offboarding.reopened_at = VendorOffboarding.Status.REOPENED, timezone.now()
    offboarding.save(update_fields=["status", "reopened_at", "updated_at"])
    _audit(actor=actor, action=AuditEntry.Action.VENDOR_REOPEN, vendor=vendor, from_status=previous,
           to_status=target, reason=reason)
    _visibility_changed(vendor_id=vendor.pk, visible=True)
    return vendor
