"""A vendor host's sitemaps (ADR 0090): its storefront pages, and its products at their canonical
address on the marketplace host (cross-host submission: the platform's robots.txt names this
sitemap, which the sitemaps protocol asks for before it accepts another host's URLs)."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from catalog.selectors import products_on_storefront
from marketplace.selectors import listed_products, taken_down_product_ids


class StorefrontPagesSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self) -> list[str]:
        return ["storefront-home", "storefront-about"]

    def location(self, item: str) -> str:
        return reverse(item)


class StorefrontProductSitemap(Sitemap):
    """The host's own products only (its schema), each at its marketplace listing's address."""

    changefreq = "weekly"
    priority = 0.8

    def __init__(self, *, vendor: Any) -> None:
        self.vendor = vendor

    def items(self) -> list[SimpleNamespace]:
        vendor = self.vendor
        products = list(products_on_storefront(hidden_product_ids=taken_down_product_ids(vendor_id=vendor.pk))
                        .only("pk", "updated_at"))
        listed = listed_products(vendor=vendor, product_ids=[product.pk for product in products])
        return [SimpleNamespace(path=listed[product.pk].path, updated_at=product.updated_at)
                for product in products if product.pk in listed]

    def location(self, item: SimpleNamespace) -> str:
        return str(item.path)

    def lastmod(self, item: SimpleNamespace) -> datetime:
        return item.updated_at  # type: ignore[no-any-return]

    def get_urls(self, page: int | str = 1, site: Any = None, protocol: str | None = None) -> list[dict[str, Any]]:
        # The listing pages live on the platform host, whatever host serves this sitemap.
        platform = SimpleNamespace(domain=settings.PLATFORM_DOMAIN + _port(site))
        return super().get_urls(page=page, site=platform, protocol=protocol)  # type: ignore[arg-type,no-any-return]


def _port(site: Any) -> str:
    domain = getattr(site, "domain", "") or ""
    return ":" + domain.rsplit(":", 1)[1] if ":" in domain else ""


def storefront_sitemaps(*, vendor: Any) -> dict[str, Any]:
    return {"pages": StorefrontPagesSitemap(), "products": StorefrontProductSitemap(vendor=vendor)}
