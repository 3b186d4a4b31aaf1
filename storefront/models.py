"""A vendor's storefront settings (vendor schema): one row per schema."""

from __future__ import annotations

from django.db import models

from common.models import TimeStampedModel


class StorefrontSettings(TimeStampedModel):
    # A singleton per schema: the constraint makes a second row impossible.
    singleton = models.PositiveSmallIntegerField(default=1, editable=False)
    name = models.CharField(max_length=200, blank=True)
    logo = models.ImageField(upload_to="storefront/", blank=True)
    banner = models.ImageField(upload_to="storefront/", blank=True)
    description = models.TextField(blank=True)
    shipping_policy = models.TextField(blank=True)
    returns_policy = models.TextField(blank=True)
    support_email = models.EmailField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["singleton"], name="storefrontsettings_singleton"),
            models.CheckConstraint(
                condition=models.Q(singleton=1), name="storefrontsettings_singleton_is_one"
            ),
        ]

    def __str__(self) -> str:
        return self.name or "Storefront settings"

    @property
    def is_complete(self) -> bool:
        return bool(self.name and self.description and self.support_email
                    and self.shipping_policy and self.returns_policy)
