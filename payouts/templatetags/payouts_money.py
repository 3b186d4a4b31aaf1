"""Template filters for money in minor units."""

from __future__ import annotations

from django import template

from common.money import format_money_localized

register = template.Library()


@register.filter
def money(amount: int | None, currency: str) -> str:
    """`{{ amount|money:currency }}` → '1,234.50 EUR' (per active locale); empty for no amount."""
    if amount is None:
        return ""
    return format_money_localized(int(amount), currency)


@register.filter
def negate(amount: int) -> int:
    """Credits are stored negative and shown positive in the credit column."""
    return -int(amount)
