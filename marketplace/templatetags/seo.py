"""`{% seo_head %}`: a page's canonical link, language alternates, meta description, Open Graph
card and JSON-LD, in its <head> (ADR 0090)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.context import Context

from marketplace import seo

register = template.Library()


@register.inclusion_tag("components/seo_head.html", takes_context=True)
def seo_head(context: Context, title: str = "", description: str = "", image: str = "",
             og_type: str = "website", canonical_url: str = "", json_ld: dict[str, Any] | None = None,
             price: Any = None) -> dict[str, Any]:
    """`canonical_url` defaults to this page's own address without its query. `price` is a
    listing (its lowest price and currency go in the product card's tags)."""
    request = context["request"]
    canonical = seo.canonical(canonical_url or request.build_absolute_uri(request.path))
    if image and image.startswith("/"):
        image = request.build_absolute_uri(image)
    return {
        "canonical": canonical, "alternates": seo.alternates(canonical), "title": title,
        "description": seo.meta_description(description), "image": image, "og_type": og_type,
        "site_name": context.get("platform_name", ""),
        "json_ld": seo.json_ld_script(json_ld) if json_ld else "",
        "price_amount": format(seo.to_major(price.price_min, price.currency), "f") if price is not None else "",
        "price_currency": price.currency if price is not None else "",
    }
