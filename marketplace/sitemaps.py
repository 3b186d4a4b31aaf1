"""The platform host's sitemaps (ADR 0090): the home page, every category, every visible listing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from marketplace.models import Category, Listing
from marketplace.selectors import listings_visible


class PlatformPagesSitemap(Sitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self) -> list[str]:
        return ["home"]

    def location(self, item: str) -> str:
        return reverse(item)


class CategorySitemap(Sitemap):
    changefreq = "daily"
    priority = 0.7

    def items(self) -> QuerySet[Category]:
        return Category.objects.order_by("path").only("path", "updated_at")

    def location(self, item: Category) -> str:
        return reverse("category", args=[item.path])

    def lastmod(self, item: Category) -> datetime:
        return item.updated_at


class ListingSitemap(Sitemap):
    """Each visible listing at its canonical address (id and current handle)."""

    changefreq = "weekly"
    priority = 0.8

    def items(self) -> QuerySet[Listing]:
        return listings_visible().order_by("pk").only("pk", "handle", "updated_at")

    def location(self, item: Listing) -> str:
        return reverse("listing", args=[item.pk, item.handle])

    def lastmod(self, item: Listing) -> datetime:
        return item.updated_at


PLATFORM_SITEMAPS: dict[str, Any] = {
    "pages": PlatformPagesSitemap, "categories": CategorySitemap, "listings": ListingSitemap,
}
