"""`{{ amount|money:currency }}`: integer minor units rendered for the active locale."""

from __future__ import annotations

from django import template

from common.money import format_money_localized

register = template.Library()


@register.filter
def money(amount: int | None, currency: str) -> str:
    if amount is None:
        return ""
    return format_money_localized(int(amount), currency)
