"""Helpers for projection and search tests: listings built straight in the public schema."""

from __future__ import annotations

import itertools
from typing import Any

from django.utils import timezone

from marketplace.models import Listing
from marketplace.services import listing_apply

_ids = itertools.count(1)


def payload(title: str, *, price: int = 1000, stock: int = 5, status: str = "active", category_id: int | None = None,
            description: str = "", attributes: dict[str, str] | None = None, currency: str = "EUR",
            created_at: Any = None) -> dict[str, Any]:
    return {
        "status": status, "title": title, "handle": title.lower().replace(" ", "-")[:100],
        "description_html": f"<p>{description}</p>", "description_text": description,
        "category_id": category_id, "option_types": [], "attributes": attributes or {},
        "currency": currency, "price_min": price, "price_max": price, "compare_at_amount": None,
        "stock_total": stock, "in_stock": stock > 0,
        "variants": [{"id": 1, "sku": title[:20], "options": {}, "price_amount": price, "stock": stock,
                      "currency": currency, "compare_at_amount": None, "weight_grams": 0}],
        "image_url": "", "thumbnail_url": "",
        "created_at": (created_at or timezone.now()).isoformat(),
    }


def make_listing(vendor: Any, title: str, **kwargs: Any) -> Listing:
    product_id = kwargs.pop("product_id", None) or next(_ids) + 100_000
    listing_apply(vendor=vendor, product_id=product_id, version=1, payload=payload(title, **kwargs))
    return Listing.objects.get(vendor=vendor, product_id=product_id)
