"""Bootstrap markup for forms rendered by third-party templates (django-allauth's elements)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def bootstrap_widget(field: Any) -> SafeString:
    """Render a bound field's widget with Bootstrap's class and its error/help wiring."""
    input_type = getattr(field.field.widget, "input_type", "")
    if input_type in ("checkbox", "radio"):
        css = "form-check-input"
    elif input_type == "select":
        css = "form-select"
    else:
        css = "form-control"
    attrs: dict[str, str] = {"class": css + (" is-invalid" if field.errors else "")}
    described = [f"{field.auto_id}_helptext"] if field.help_text else []
    if field.errors:
        described.append(f"{field.auto_id}_errors")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)
