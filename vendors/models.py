"""Vendors (public schema): the seller's profile, application and review, members, Connect state."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import JSONField, Value
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accounts.roles import VendorRole
from common.models import TimeStampedModel
from vendors.storage import private_storage


class Vendor(TimeStampedModel):
    class Status(models.TextChoices):
        ONBOARDING = "onboarding", _("Onboarding")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CLOSED = "closed", _("Closed")

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    store = models.OneToOneField(
        "tenants.Store", on_delete=models.PROTECT, related_name="vendor", null=True, blank=True
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ONBOARDING)
    country = models.CharField(max_length=2, default="DE")
    currency = models.CharField(max_length=3, default="EUR")
    # The language of its products' own title and description (translations add others; a
    # missing translation falls back to this text, docs/adr/0089).
    content_language = models.CharField(max_length=8, default="en", db_default="en")
    support_email = models.EmailField(blank=True)
    description = models.TextField(blank=True)
    stripe_account_id = models.CharField(max_length=64, blank=True, db_index=True)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    stripe_requirements = models.JSONField(default=list, blank=True)
    # Stripe's `requirements` as last synced: {"currently_due": [...], "past_due": [...],
    # "eventually_due": [...]}, with its deadline and why the account is disabled (if it is).
    stripe_requirements_detail = models.JSONField(default=dict, blank=True, db_default=Value({}, JSONField()))
    stripe_requirements_deadline = models.DateTimeField(null=True, blank=True)
    stripe_disabled_reason = models.CharField(max_length=64, blank=True, default="", db_default="")
    # What the owners were last emailed about ({"currently_due": [...], "past_due": [...]}): an
    # email goes out only for items not in here, so replays and repeats send nothing.
    stripe_requirements_notified = models.JSONField(default=dict, blank=True, db_default=Value({}, JSONField()))
    suspended_at = models.DateTimeField(null=True, blank=True)
    stripe_details_submitted = models.BooleanField(default=False)
    # `created` of the newest Stripe account state applied: older events are ignored.
    stripe_account_synced_at = models.DateTimeField(null=True, blank=True)
    onboarding_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["onboarding", "active", "suspended", "closed"]),
                name="vendor_status_valid",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def host(self) -> str:
        return f"{self.slug}.{settings.PLATFORM_DOMAIN}"

    @property
    def is_selling(self) -> bool:
        """Listed in the marketplace and able to take orders."""
        return self.status == self.Status.ACTIVE and self.charges_enabled


class Membership(TimeStampedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=VendorRole.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "vendor"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=["owner", "manager", "staff"]),
                name="membership_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} of {self.vendor}"


class VendorApplication(TimeStampedModel):
    """A would-be seller's application, saved as a draft until submitted for review."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class LegalForm(models.TextChoices):
        SOLE_TRADER = "sole_trader", _("Sole trader")
        PARTNERSHIP = "partnership", _("Partnership")
        COMPANY = "company", _("Limited company")
        NONPROFIT = "nonprofit", _("Non-profit")
        OTHER = "other", _("Other")

    OPEN_STATUSES = ("draft", "submitted", "changes_requested")
    # Statuses in which the slug is held for the applicant (drafts do not hold a slug).
    SLUG_HOLDING_STATUSES = ("submitted", "changes_requested", "approved")

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="vendor_applications"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    business_name = models.CharField(max_length=200, blank=True)
    legal_form = models.CharField(max_length=20, choices=LegalForm.choices, blank=True)
    country = CountryField(blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=32, blank=True)
    slug = models.SlugField(max_length=40, blank=True)
    categories = models.JSONField(default=list, blank=True)
    description = models.TextField(blank=True)
    logo = models.FileField(storage=private_storage, upload_to="applications/logos/", blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reviewer_message = models.TextField(blank=True)
    vendor = models.OneToOneField(
        Vendor, on_delete=models.PROTECT, null=True, blank=True, related_name="application"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["draft", "submitted", "changes_requested", "approved", "rejected"]
                ),
                name="vendorapplication_status_valid",
            ),
            models.UniqueConstraint(
                fields=["applicant"],
                condition=models.Q(status__in=["draft", "submitted", "changes_requested"]),
                name="vendorapplication_one_open_per_applicant",
            ),
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(status__in=["submitted", "changes_requested", "approved"]),
                name="vendorapplication_slug_held_once",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="approved") | models.Q(vendor__isnull=False),
                name="vendorapplication_approved_has_vendor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.business_name or _('Untitled')} ({self.get_status_display()})"

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.CHANGES_REQUESTED)


class ApplicationDocument(TimeStampedModel):
    """A private file attached to an application (never under MEDIA_URL)."""

    class Kind(models.TextChoices):
        REGISTRATION = "registration", _("Business registration")
        IDENTITY = "identity", _("Identity document")
        OTHER = "other", _("Other")

    application = models.ForeignKey(
        VendorApplication, on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.REGISTRATION)
    file = models.FileField(storage=private_storage, upload_to="applications/documents/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class AuditEntry(models.Model):
    """Who did what to an application or a vendor, when and why. Rows are never changed."""

    class Action(models.TextChoices):
        APPLICATION_SUBMIT = "application.submit", _("Application submitted")
        APPLICATION_REQUEST_CHANGES = "application.request_changes", _("Changes requested")
        APPLICATION_APPROVE = "application.approve", _("Application approved")
        APPLICATION_REJECT = "application.reject", _("Application rejected")
        VENDOR_SUSPEND = "vendor.suspend", _("Vendor suspended")
        VENDOR_REINSTATE = "vendor.reinstate", _("Vendor reinstated")
        VENDOR_ACTIVATE = "vendor.activate", _("Vendor activated")
        VENDOR_ONBOARDING_RETRY = "vendor.onboarding_retry", _("Onboarding retried")
        VENDOR_CLOSE = "vendor.close", _("Store closed")
        VENDOR_REOPEN = "vendor.reopen", _("Store reopened")
        VENDOR_SETTLED = "vendor.settled", _("Store settled and exported")
        VENDOR_ARCHIVED = "vendor.archived", _("Store schema archived")
        VENDOR_DROPPED = "vendor.dropped", _("Store schema dropped")
        MEMBER_INVITE = "member.invite", _("Member invited")
        MEMBER_JOIN = "member.join", _("Member joined")
        MEMBER_REMOVE = "member.remove", _("Member removed")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40, choices=Action.choices)
    application = models.ForeignKey(
        VendorApplication, on_delete=models.CASCADE, null=True, blank=True, related_name="audit"
    )
    vendor = models.ForeignKey(
        Vendor, on_delete=models.CASCADE, null=True, blank=True, related_name="audit"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(application__isnull=False) | models.Q(vendor__isnull=False),
                name="auditentry_has_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


class Invitation(TimeStampedModel):
    """An invitation to join a vendor's team by email, accepted through a secret link."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=VendorRole.choices)
    token = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=["manager", "staff"]), name="invitation_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "accepted", "revoked"]),
                name="invitation_status_valid",
            ),
            models.UniqueConstraint(
                fields=["vendor", "email"],
                condition=models.Q(status="pending"),
                name="invitation_one_pending_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.vendor} ({self.role})"


class VendorOffboarding(TimeStampedModel):
    """A store leaving the marketplace: closed at once (listings hidden, no new orders), settled
    when its open orders, claims and transfers are done (final statement and export ZIP), its
    schema archived (`pg_dump`) and dropped after VENDORS_SCHEMA_RETENTION_DAYS; reopened before
    the drop if the vendor comes back. Every step is a vendor `AuditEntry` (who, why)."""

    class Status(models.TextChoices):
        CLOSING = "closing", _("Closing: open orders and claims finish")
        ARCHIVED = "archived", _("Settled, exported and archived")
        DROPPED = "dropped", _("Schema dropped")
        REOPENED = "reopened", _("Reopened")

    ACTIVE = (Status.CLOSING, Status.ARCHIVED, Status.DROPPED)

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="offboardings")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CLOSING)
    reason = models.TextField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    # Private storage names of the vendor's export ZIP and of the schema's archive.
    export_file = models.CharField(max_length=300, blank=True)
    archive_file = models.CharField(max_length=300, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    drop_after = models.DateTimeField(null=True, blank=True)
    dropped_at = models.DateTimeField(null=True, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["vendor"], condition=models.Q(status__in=["closing", "archived", "dropped"]),
                                    name="offboarding_one_active_per_vendor"),
            models.CheckConstraint(condition=models.Q(status__in=["closing", "archived", "dropped", "reopened"]),
                                   name="offboarding_status_valid"),
        ]

    def __str__(self) -> str:
        return f"offboarding of vendor {self.vendor_id} ({self.status})"


class SellerIdentity(TimeStampedModel):
    """What DAC7 (Directive (EU) 2021/514, Annex V) requires the platform to know of a seller:
    collected in the application, moved to the vendor on approval, edited in the dashboard.

    Personal data (of an individual seller): name, address, birth date, TIN. The bank account is
    kept only as a masked reference (country + last four), never the whole IBAN (docs/adr/0088).
    """

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        ENTITY = "entity", _("Entity (company, partnership, association)")

    application = models.OneToOneField(VendorApplication, on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="seller_identity")
    vendor = models.OneToOneField(Vendor, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="seller_identity")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    legal_name = models.CharField(max_length=200)
    tin = models.CharField(max_length=40)
    tin_country = models.CharField(max_length=2)
    vat_id = models.CharField(max_length=20, blank=True)
    street = models.CharField(max_length=200)
    postal_code = models.CharField(max_length=20)
    city = models.CharField(max_length=100)
    address_country = models.CharField(max_length=2)
    birth_date = models.DateField(null=True, blank=True)
    business_registration_number = models.CharField(max_length=60, blank=True)
    iban_masked = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=["individual", "entity"]),
                                   name="selleridentity_kind_valid"),
            models.CheckConstraint(
                condition=~models.Q(kind="individual") | models.Q(birth_date__isnull=False),
                name="selleridentity_individual_has_birth_date"),
            models.CheckConstraint(
                condition=~models.Q(kind="entity") | ~models.Q(business_registration_number=""),
                name="selleridentity_entity_has_registration"),
            models.CheckConstraint(condition=models.Q(application__isnull=False) | models.Q(vendor__isnull=False),
                                   name="selleridentity_has_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.tin_country} {self.kind})"
