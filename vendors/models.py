"""Vendors (public schema): the seller's profile, its store, its members and Connect state."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.roles import VendorRole
from common.models import TimeStampedModel


class Vendor(TimeStampedModel):
    class Status(models.TextChoices):
        ONBOARDING = "onboarding", _("Onboarding")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    store = models.OneToOneField(
        "tenants.Store", on_delete=models.PROTECT, related_name="vendor", null=True, blank=True
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ONBOARDING)
    country = models.CharField(max_length=2, default="DE")
    currency = models.CharField(max_length=3, default="EUR")
    support_email = models.EmailField(blank=True)
    description = models.TextField(blank=True)
    stripe_account_id = models.CharField(max_length=64, blank=True, db_index=True)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    stripe_requirements = models.JSONField(default=list, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["onboarding", "active", "suspended"]),
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
