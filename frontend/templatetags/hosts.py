"""`{% vendor_url vendor "/path" %}` and `{% platform_url "/path" %}` for links across hosts."""

from __future__ import annotations

from typing import Any

from django import template

from common import hosts

register = template.Library()


@register.simple_tag(takes_context=True)
def vendor_url(context: dict[str, Any], vendor: Any, path: str = "/") -> str:
    return hosts.vendor_url(vendor, path, context.get("request"))


@register.simple_tag(takes_context=True)
def platform_url(context: dict[str, Any], path: str = "/") -> str:
    return hosts.platform_url(path, context.get("request"))
