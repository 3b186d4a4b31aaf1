"""`{{ amount|money:currency }}`: integer minor units rendered for the active locale; `{% price %}`:
a vendor's price in the buyer's presentment currency, its own price beside (docs/adr/0096)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.context import Context

from common.money import format_money_localized
from marketplace.presentment import Presentment, ShownPrice, presentment_for

register = template.Library()


@register.filter
def money(amount: int | None, currency: str) -> str:
    if amount is None:
        return ""
    return format_money_localized(int(amount), currency)


def context_presentment(context: Context) -> Presentment:
    """The page's presentment: the one its view chose (search in `?currency=`), else the
    request's buyer currency (read once per request)."""
    chosen = context.get("presentment")
    if isinstance(chosen, Presentment):
        return chosen
    return presentment_for(context.get("request"))


def shown_price(context: Context, amount: int | None, currency: str) -> ShownPrice | None:
    if amount is None or not currency:
        return None
    return context_presentment(context).price(int(amount), currency)


@register.inclusion_tag("components/price.html", takes_context=True)
def price(context: Context, amount: int | None, currency: str, prefix: str = "") -> dict[str, Any]:
    """`{% price variant.price_amount variant.currency %}`: "≈ 12.40 EUR · 10.60 GBP" when the
    buyer's currency is another one, the vendor's price alone when it is the same, and the vendor's
    price with a note when no rate is known today (as the cart would refuse to convert it)."""
    return {"shown": shown_price(context, amount, currency), "prefix": prefix}


@register.simple_tag(takes_context=True)
def price_text(context: Context, amount: int | None, currency: str) -> str:
    """The same price as plain text (inside an `<option>`): "≈ 12.40 EUR (10.60 GBP)"."""
    from django.utils.translation import gettext as _

    shown = shown_price(context, amount, currency)
    if shown is None:
        return ""
    own = format_money_localized(shown.own_amount, shown.own_currency)
    if not shown.differs:
        return own
    return _("≈ %(shown)s (%(own)s)") % {"shown": format_money_localized(shown.amount, shown.currency), "own": own}
