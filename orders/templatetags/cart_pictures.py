"""`{% cart_picture item %}`: a cart item's product picture at the sizes a cart row needs."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.context import Context

register = template.Library()


@register.inclusion_tag("orders/_cart_picture.html", takes_context=True)
def cart_picture(context: Context, item: Any) -> dict[str, Any]:
    """The picture of `item` from the page's `cart_pictures` (listing pictures by item id)."""
    return {"picture": (context.get("cart_pictures") or {}).get(item.pk), "name": item.name}
