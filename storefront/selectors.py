"""Storefront reads (in the current vendor's schema)."""

from __future__ import annotations

from storefront.models import StorefrontSettings


def storefront_branding_or_default() -> StorefrontSettings:
    """The vendor's storefront settings, or unsaved defaults: never created on read."""
    return StorefrontSettings.objects.filter(singleton=1).first() or StorefrontSettings()
