"""`{% brand_style branding %}`: the store's colours as CSS custom properties (ADR 0091)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from storefront import colours

register = template.Library()


@register.simple_tag
def brand_style(branding: Any) -> SafeString | str:
    """A <style> giving the storefront its brand and header colours: only `#rrggbb` values
    (checked when saved, and by the database) ever reach it."""
    brand = colours.colour_parse(getattr(branding, "brand_color", "") or "")
    header = colours.colour_parse(getattr(branding, "header_color", "") or "")
    rules = []
    if brand:
        rules.append(f"--sf-brand: {brand}; --bs-primary: {brand}; --bs-link-color: {brand};")
    if header:
        rules.append(f"--sf-header: {header}; --sf-header-ink: {colours.text_on(header)};")
    if not rules:
        return ""
    return format_html("<style>.side-marketplace {{ {} }}</style>", " ".join(rules))
