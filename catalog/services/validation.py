"""Checks and normalisation of what vendors type: prices, currencies, options, attributes, descriptions, handles."""

from __future__ import annotations

from typing import Any

import nh3
from django.utils.text import slugify
from django.utils.translation import gettext as _

from catalog.errors import InvalidProduct
from catalog.models import Product
from common.money import MoneyError, parse_amount, validate_currency

MAX_OPTION_TYPES = 3


ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h3", "h4", "blockquote", "a"}


ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def description_sanitize(html: str) -> str:
    """Rich descriptions keep basic formatting and links; scripts, styles and handlers are dropped."""
    return nh3.clean(
        html or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"}, link_rel="noopener nofollow ugc",
    )


def vendor_currency() -> str:
    from catalog.selectors import current_vendor_in_schema

    vendor = current_vendor_in_schema()
    return vendor.currency if vendor is not None else "EUR"


def price_validate(*, amount: Any, currency: str | None, field: str = "price_amount") -> int:
    """An integer amount in minor units, not negative, in the vendor's currency."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise InvalidProduct(
            _("Price must be a non-negative integer in minor units."), fields={field: ["invalid"]}
        )
    if amount > 10**12:
        raise InvalidProduct(_("Price is too large."), fields={field: ["too_large"]})
    return amount


def currency_validate(currency: str | None) -> str:
    expected = vendor_currency()
    if currency in (None, ""):
        return expected
    try:
        code = validate_currency(str(currency))
    except MoneyError as exc:
        raise InvalidProduct(str(exc), fields={"currency": ["invalid"]}) from exc
    if code != expected:
        raise InvalidProduct(
            _("Prices of this store are in %(currency)s.") % {"currency": expected}, fields={"currency": ["wrong_currency"]}
        )
    return code


def price_parse(text: str, *, currency: str, field: str = "price") -> int:
    """A major-unit text price ('12.50') from a form or CSV, in minor units."""
    try:
        amount = parse_amount(text, currency)
    except MoneyError as exc:
        raise InvalidProduct(str(exc), fields={field: ["invalid"]}) from exc
    if amount < 0:
        raise InvalidProduct(_("Price must not be negative."), fields={field: ["negative"]})
    return price_validate(amount=amount, currency=currency, field=field)


def _options_validate(options: Any, option_types: list[str]) -> dict[str, str]:
    if options in (None, ""):
        options = {}
    if not isinstance(options, dict):
        raise InvalidProduct(_("Options must map option types to values."), fields={"options": ["invalid"]})
    clean = {str(key).strip(): str(value).strip()[:60] for key, value in options.items()}
    unknown = set(clean) - set(option_types)
    if unknown:
        raise InvalidProduct(
            _("Unknown option types: %(names)s.") % {"names": ", ".join(sorted(unknown))}, fields={"options": ["unknown"]}
        )
    return {name: clean[name] for name in option_types if clean.get(name)}


def _option_types_validate(option_types: Any) -> list[str]:
    if not option_types:
        return []
    if not isinstance(option_types, list) or len(option_types) > MAX_OPTION_TYPES:
        raise InvalidProduct(
            _("At most %(n)s option types.") % {"n": MAX_OPTION_TYPES}, fields={"option_types": ["invalid"]}
        )
    names = [str(name).strip().lower()[:30] for name in option_types if str(name).strip()]
    if len(set(names)) != len(names):
        raise InvalidProduct(_("Option types must be distinct."), fields={"option_types": ["duplicate"]})
    return names


def _attributes_validate(attributes: Any) -> dict[str, str]:
    if not attributes:
        return {}
    if not isinstance(attributes, dict) or len(attributes) > 20:
        raise InvalidProduct(_("Attributes must be at most 20 name/value pairs."),
                             fields={"attributes": ["invalid"]})
    return {str(k).strip().lower()[:30]: str(v).strip()[:60] for k, v in attributes.items() if str(k).strip()}


def _category_validate(category_id: Any) -> int | None:
    if category_id in (None, ""):
        return None
    from marketplace.models import Category

    try:
        category_id = int(category_id)
    except (TypeError, ValueError) as exc:
        raise InvalidProduct(_("Unknown category."), fields={"category_id": ["invalid"]}) from exc
    if not Category.objects.filter(pk=category_id).exists():
        raise InvalidProduct(_("Unknown category."), fields={"category_id": ["unknown"]})
    return category_id


def _handle_for(name: str, handle: str | None) -> str:
    base = slugify(handle or name)[:100] or "product"
    if handle:
        return base
    candidate, n = base, 1
    while Product.objects.filter(handle=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _user_fields(user: Any) -> dict[str, Any]:
    if user is None or not getattr(user, "is_authenticated", False):
        return {"user_id": None, "user_email": ""}
    return {"user_id": user.pk, "user_email": user.email}
