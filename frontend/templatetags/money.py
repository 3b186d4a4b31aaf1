"""`{{ amount|money:currency }}`: integer minor units rendered for the active locale."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

from common.money import exponent, to_major

register = template.Library()


@register.filter
def money(amount: int | None, currency: str) -> str:
    if amount is None:
        return ""
    places = exponent(currency)
    return f"{number_format(to_major(int(amount), currency), places, use_l10n=True, force_grouping=True)} {currency}"
