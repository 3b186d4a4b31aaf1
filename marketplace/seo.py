"""Search-engine facts of a page: canonical URL, language alternates, meta description, Open Graph
and schema.org JSON-LD (ADR 0090). Pure functions over the listing projection; no I/O."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from accounts.language import LANGUAGE_QUERY_PARAM
from common.money import to_major

# The query parameter that picks a page's language (hreflang): a page with `?lang=de` is the German
# one; without it, the visitor's own choice (x-default).
LANGUAGE_PARAM = LANGUAGE_QUERY_PARAM
DESCRIPTION_CHARS = 160
SCHEMA_IN_STOCK = "https://schema.org/InStock"
SCHEMA_OUT_OF_STOCK = "https://schema.org/OutOfStock"

# Characters that could end the <script> element or start markup inside it (as Django's json_script).
_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@dataclass(frozen=True)
class Alternate:
    language: str  # a language code, or "x-default"
    url: str


def canonical(url: str) -> str:
    """`url` without its query and fragment: filters, sorting and languages are not other pages."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def alternates(url: str) -> list[Alternate]:
    """One alternate per platform language (`?lang=<code>`) and the x-default (the canonical)."""
    base = canonical(url)
    found = [Alternate(code, f"{base}?{urlencode({LANGUAGE_PARAM: code})}") for code, _name in settings.LANGUAGES]
    return [*found, Alternate("x-default", base)]


def meta_description(text: str) -> str:
    """One line of at most 160 characters from a (possibly HTML) text."""
    flat = " ".join(strip_tags(text or "").split())
    return Truncator(flat).chars(DESCRIPTION_CHARS)


def _price(amount: int, currency: str) -> str:
    return format(to_major(amount, currency), "f")


def product_json_ld(listing: Any, *, url: str) -> dict[str, Any]:
    """schema.org Product with one Offer per variant and the AggregateRating when reviewed."""
    images = [image["url"] for image in (listing.images or []) if image.get("url")] or (
        [listing.image_url] if listing.image_url else [])
    seller = {"@type": "Organization", "name": listing.vendor_name}
    offers = [{
        "@type": "Offer", "sku": variant.get("sku", ""), "url": url,
        "price": _price(int(variant["price_amount"]), variant.get("currency") or listing.currency),
        "priceCurrency": variant.get("currency") or listing.currency,
        "availability": SCHEMA_IN_STOCK if int(variant.get("stock", 0)) > 0 else SCHEMA_OUT_OF_STOCK,
        "itemCondition": "https://schema.org/NewCondition", "seller": seller,
    } for variant in (listing.variants or [])]
    if not offers:
        offers = [{"@type": "Offer", "url": url, "price": _price(listing.price_min, listing.currency),
                   "priceCurrency": listing.currency, "seller": seller,
                   "availability": SCHEMA_IN_STOCK if listing.in_stock else SCHEMA_OUT_OF_STOCK}]
    data: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "Product", "name": listing.title, "url": url,
        "description": meta_description(listing.description_text or listing.title),
        "sku": str(listing.product_id), "brand": {"@type": "Brand", "name": listing.vendor_name},
        "offers": offers,
    }
    if images:
        data["image"] = images
    if listing.category_id and getattr(listing, "category_text", ""):
        data["category"] = listing.category_text
    if listing.rating_count:
        data["aggregateRating"] = {"@type": "AggregateRating", "ratingValue": str(listing.rating),
                                   "reviewCount": listing.rating_count, "bestRating": "5", "worstRating": "1"}
    return data


def store_json_ld(*, name: str, url: str, description: str = "", logo: str = "",
                  same_as: list[str] | None = None) -> dict[str, Any]:
    """schema.org Store for a vendor's storefront home."""
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": "Store", "name": name, "url": url}
    if description:
        data["description"] = meta_description(description)
    if logo:
        data["logo"] = logo
    if same_as:
        data["sameAs"] = same_as
    return data


def json_ld_script(data: dict[str, Any]) -> SafeString:
    """`<script type="application/ld+json">` with the data, safe inside HTML."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True).translate(_SCRIPT_ESCAPES)
    # Safe: JSON with <, > and & escaped can neither end the element nor start markup in it.
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308  # nosec B308 B703


def robots_txt(*, disallow: list[str], sitemaps: list[str]) -> str:
    """robots.txt: everyone may crawl but the private paths (everything when the deployment says
    so, as a staging site should), then where the sitemaps are."""
    paths = ["/"] if settings.ROBOTS_DISALLOW_ALL else disallow
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in paths)]
    if not settings.ROBOTS_DISALLOW_ALL:
        lines += ["Allow: /", "", *(f"Sitemap: {url}" for url in sitemaps)]
    return "\n".join(lines) + "\n"
