"""The tenant (`Store`, one PostgreSQL schema per vendor) and the hosts that route to it."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin


class Store(TenantMixin):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROVISIONING = "provisioning", _("Provisioning")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    provisioning_error = models.TextField(blank=True)
    provisioned_at = models.DateTimeField(null=True, blank=True)
    provisioning_seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Schemas are created by `tenants.services.store_provision` (in a task), never on save.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "provisioning", "ready", "failed"]),
                name="store_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.schema_name})"

    @property
    def is_public(self) -> bool:
        from django_tenants.utils import get_public_schema_name

        return self.schema_name == get_public_schema_name()


class Domain(DomainMixin):
    def __str__(self) -> str:
        return self.domain


class CustomDomain(models.Model):
    """A host a vendor brings (`shop.example.com`), routed to its store once ownership is proven.

    Only a verified one has a `Domain` row (what django-tenants routes by) and is admitted as a
    host; a pending one is a claim with the token the vendor publishes (ADR 0092)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for verification")
        VERIFIED = "verified", _("Verified")

    class Method(models.TextChoices):
        DNS = "dns", _("DNS TXT record")
        HTTP = "http", _("HTTP file")

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="custom_domains")
    domain = models.CharField(max_length=253)
    token = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    verified_by = models.CharField(max_length=8, choices=Method.choices, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_check_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain"]
        constraints = [
            # Anyone may claim a name (a squatter's pending claim must not lock its owner out);
            # only one store can prove it, and a store claims a name once.
            models.UniqueConstraint(
                fields=["domain"], condition=models.Q(status="verified"), name="customdomain_one_verified"
            ),
            models.UniqueConstraint(fields=["store", "domain"], name="customdomain_once_per_store"),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "verified"]), name="customdomain_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(domain=Lower("domain")), name="customdomain_domain_lowercase"
            ),
            models.CheckConstraint(
                condition=(models.Q(status="pending", verified_at__isnull=True)
                           | models.Q(status="verified", verified_at__isnull=False)),
                name="customdomain_verified_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.domain
