"""Review blocks for pages of lower apps (the product page, the storefront), which name them in
their templates instead of importing reviews (reviews sits above them in the dependency order)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template import Context

from reviews import selectors
from reviews.views import review_list_context

register = template.Library()


@register.inclusion_tag("reviews/_product_reviews.html", takes_context=True)
def product_reviews(context: Context, listing: Any) -> dict[str, Any]:
    """The product page's section: the rating, the first reviews, and how to write one."""
    request = context["request"]
    return {**review_list_context(request, listing), "request": request, "user": context.get("user")}


@register.inclusion_tag("reviews/_seller_rating.html")
def seller_rating(vendor: Any) -> dict[str, Any]:
    return {"seller": selectors.seller_rating(vendor_id=vendor.pk) if vendor is not None else None}


@register.inclusion_tag("reviews/_stars.html")
def stars(value: Any, label: str = "") -> dict[str, Any]:
    """Five stars filled to `value` (whole and half stars), with the value in words for readers."""
    try:
        number = float(value or 0)
    except (TypeError, ValueError):
        number = 0.0
    halves = round(number * 2)
    return {"full": range(halves // 2), "half": halves % 2 == 1, "empty": range(5 - halves // 2 - halves % 2),
            "value": value, "label": label}
