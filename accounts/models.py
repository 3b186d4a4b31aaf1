"""The one user model of the platform (public schema), logging in by email; API tokens; the audit log."""

from __future__ import annotations

from typing import Any, ClassVar

from auditlog.models import AbstractLogEntry
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken

from accounts.audit_capture import AuditLogEntryManager


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("platform_role", User.PlatformRole.ADMIN)
        return self.create_user(email, password, **extra)


# knox declares the token-to-user relation on its abstract model, which django-stubs cannot follow.
class User(AbstractBaseUser, PermissionsMixin):  # type: ignore[django-manager-missing]
    class PlatformRole(models.TextChoices):
        NONE = "", _("None")
        ADMIN = "admin", _("Platform admin")
        FINANCE = "finance", _("Finance")

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    platform_role = models.CharField(
        max_length=16, choices=PlatformRole.choices, blank=True, default=PlatformRole.NONE
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # A buyer who checked out with an email only: no password (cannot sign in) until they claim
    # the account from the link in their order confirmation (orders.services.guest).
    is_guest = models.BooleanField(_("guest"), default=False, db_default=False)
    # The language the person chose (switcher) or signed up in; emails sent to them use it.
    # Blank: the platform's default (settings.LANGUAGE_CODE).
    language = models.CharField(_("language"), max_length=8, blank=True, default="", db_default="",
                                choices=settings.LANGUAGES)
    # The buyer's Stripe Customer (created at their first payment): saved cards hang off it.
    stripe_customer_id = models.CharField(max_length=255, blank=True, default="", db_default="")

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(platform_role__in=["", "admin", "finance"]),
                name="user_platform_role_valid",
            ),
            models.UniqueConstraint(
                fields=["stripe_customer_id"], condition=~models.Q(stripe_customer_id=""),
                name="user_stripe_customer_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = self.email.lower()
        super().save(*args, **kwargs)


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox: only its digest is stored), one per device, expiring."""

    device = models.CharField(_("device"), max_length=100)

    class Meta:
        indexes = [models.Index(fields=["user", "device"], name="apitoken_user_device")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.device}"


class AuditLogEntry(AbstractLogEntry):
    """One line of the platform audit log (django-auditlog's entry, docs/adr/0073): a change of a
    registered model or a staff action, with who, from where, before and after. Append-only: the
    database refuses UPDATE and DELETE (migration 0006)."""

    class Action(AbstractLogEntry.Action):
        # django-auditlog's create / update / delete / access, and an explicit action (`audit_action`).
        STAFF = 4
        choices = (*AbstractLogEntry.Action.choices, (STAFF, _("action")))

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    action = models.PositiveSmallIntegerField(choices=Action.choices, db_index=True)
    # The people outlive nothing here: no constraint, so a user's removal never touches the log.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False,
                              null=True, blank=True, related_name="+")
    # Whom the actor was impersonating (django-hijack) when the change was made.
    acting_as = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False,
                                  null=True, blank=True, related_name="+")
    # "vendors.vendor.update", "user.disable", "impersonation.start": what the filters offer.
    verb = models.CharField(max_length=64, db_index=True)
    # "app_label.model" of the target, also for targets without a content type.
    target_type = models.CharField(max_length=100, blank=True, db_index=True)
    # The vendor the entry concerns (its dashboard shows it); no foreign key: accounts sits below vendors.
    vendor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # False for what only staff may read (an order event for staff only, an internal note).
    vendor_visible = models.BooleanField(default=True)
    schema_name = models.CharField(max_length=63, blank=True)
    reason = models.TextField(blank=True)

    objects = AuditLogEntryManager()

    class Meta(AbstractLogEntry.Meta):
        indexes = [models.Index(fields=["vendor_id", "-timestamp"], name="auditlog_vendor_time_idx")]

    def __str__(self) -> str:
        return f"{self.verb} {self.target_type}:{self.object_pk}"
