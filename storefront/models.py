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
    # Branding (ADR 0091): the about page's text, the store's colours (checked for contrast against
    # the design system when saved) and where else the store is found.
    about = models.TextField(blank=True, default="", db_default="")
    # "#rrggbb": buttons and links on paper
    brand_color = models.CharField(max_length=7, blank=True, default="", db_default="")
    # "#rrggbb": the storefront's header band
    header_color = models.CharField(max_length=7, blank=True, default="", db_default="")
    website_url = models.URLField(blank=True, default="", db_default="")
    instagram_url = models.URLField(blank=True, default="", db_default="")
    facebook_url = models.URLField(blank=True, default="", db_default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["singleton"], name="storefrontsettings_singleton"),
            models.CheckConstraint(condition=models.Q(brand_color="") | models.Q(brand_color__regex=r"^#[0-9a-f]{6}$"),
                                   name="storefrontsettings_brand_color_hex"),
            models.CheckConstraint(condition=models.Q(header_color="") | models.Q(header_color__regex=r"^#[0-9a-f]{6}$"),
                                   name="storefrontsettings_header_color_hex"),
            models.CheckConstraint(
                condition=models.Q(singleton=1), name="storefrontsettings_singleton_is_one"
            ),
        ]

    def __str__(self) -> str:
        return self.name or "Storefront settings"

    @property
    def social_links(self) -> list[tuple[str, str]]:
        found = [("Website", self.website_url), ("Instagram", self.instagram_url), ("Facebook", self.facebook_url)]
        return [(label, url) for label, url in found if url]

    @property
    def is_complete(self) -> bool:
        return bool(self.name and self.description and self.support_email
                    and self.shipping_policy and self.returns_policy)
