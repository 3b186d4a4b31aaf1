"""`{{ rate|percent }}`: a fraction as a percentage with one decimal; "–" when there is no base."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


@register.filter
def weeks(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"
