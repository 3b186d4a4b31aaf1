"""Marketplace reads: categories and listings (public schema, projection only)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from common.databases import replica_alias
from common.exceptions import NotFound
from marketplace.models import Category, CategoryRedirect, Listing, ListingTakedown, StoreFollow


def categories_tree() -> list[dict[str, Any]]:
    """The whole taxonomy as nested dicts (one query)."""
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for category in Category.objects.order_by("depth", "position", "name"):
        node = {"id": category.pk, "name": category.name, "slug": category.slug, "path": category.path,
                "depth": category.depth, "children": []}
        nodes[category.pk] = node
        if category.parent_id is None:
            roots.append(node)
        elif category.parent_id in nodes:
            nodes[category.parent_id]["children"].append(node)
    return roots


def categories_flat() -> QuerySet[Category]:
    return Category.objects.order_by("path")


def category_by_path(*, path: str) -> Category:
    category = Category.objects.filter(path=(path or "").strip("/")).first()
    if category is None:
        raise NotFound(_("Category not found."))
    return category


@dataclass(frozen=True)
class ListedProduct:
    """What a storefront card shows of a product's marketplace listing."""

    path: str
    rating: Decimal
    rating_count: int


def listed_products(*, vendor: Any, product_ids: list[int]) -> dict[int, ListedProduct]:
    """product id → its marketplace page and rating, for the vendor's products listed there."""
    rows = listings_visible().filter(vendor=vendor, product_id__in=product_ids).values_list(
        "product_id", "pk", "handle", "rating", "rating_count")
    return {product_id: ListedProduct(path=reverse("listing", args=[pk, handle], urlconf="config.urls_public"),
                                      rating=rating, rating_count=count)
            for product_id, pk, handle, rating, count in rows}


def taken_down_product_ids(*, vendor_id: int) -> set[int]:
    """The vendor's products under an active takedown: hidden on its own storefront too."""
    return set(ListingTakedown.objects.filter(vendor_id=vendor_id, status__in=ListingTakedown.ACTIVE)
               .values_list("product_id", flat=True))


def category_by_path_or_none(*, path: str) -> Category | None:
    return Category.objects.filter(path=path.strip("/")).first() if path else None


def category_moved_to(*, path: str) -> Category | None:
    """The category that had `path` before it was renamed or moved (None when none had)."""
    moved = CategoryRedirect.objects.select_related("category").filter(old_path=(path or "").strip("/")).first()
    return moved.category if moved is not None else None


def category_ancestors(category: Category) -> list[Category]:
    parts = category.path.split("/")
    paths = ["/".join(parts[: i + 1]) for i in range(len(parts) - 1)]
    return list(Category.objects.filter(path__in=paths).order_by("depth"))


def listings_visible() -> QuerySet[Listing]:
    """What buyers may see, read from the replica when there is one (the projection lags anyway)."""
    return Listing.objects.using(replica_alias()).filter(status=Listing.Status.ACTIVE, vendor_visible=True)


def listing_visible(*, listing_id: Any) -> Listing:
    try:
        listing_id = int(listing_id)
    except (TypeError, ValueError) as exc:
        raise NotFound(_("Listing not found.")) from exc
    listing = listings_visible().select_related("vendor", "category").filter(pk=listing_id).first()
    if listing is None:
        raise NotFound(_("Listing not found."))
    return listing


def listing_of_vendor(*, vendor: Any, product_id: int) -> Listing | None:
    """The vendor's visible listing of its product `product_id` (for its own host's product page)."""
    return listings_visible().select_related("vendor", "category").filter(vendor=vendor, product_id=product_id).first()


def listing_pictures(*, keys: list[tuple[int, int]]) -> dict[tuple[int, int], dict[str, str]]:
    """(vendor id, product id) → the first picture of its listing (urls and srcsets), one query."""
    if not keys:
        return {}
    match = Q()
    for vendor_id, product_id in set(keys):
        match |= Q(vendor_id=vendor_id, product_id=product_id)
    found = {}
    for vendor_id, product_id, images, thumbnail_url in Listing.objects.filter(match).values_list(
            "vendor_id", "product_id", "images", "thumbnail_url"):
        if images:
            found[(vendor_id, product_id)] = {"thumbnail_url": thumbnail_url, **images[0]}
    return found


def listings_featured(*, limit: int = 8) -> QuerySet[Listing]:
    """The platform's hand-picks in their order, then the newest listings to fill the row."""
    return listings_visible().filter(in_stock=True).select_related("vendor").order_by(
        F("featured_position").asc(nulls_last=True), "-product_created_at", "-id")[:limit]


def listings_of_vendor(*, vendor_id: int, exclude_id: int | None = None, limit: int = 4) -> QuerySet[Listing]:
    qs = listings_visible().filter(vendor_id=vendor_id).select_related("vendor")
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return qs.order_by("-product_created_at", "-id")[:limit]


def category_subtree_q(path: str) -> Q:
    return Q(category__path=path) | Q(category__path__startswith=path + "/")


def stores_followed(*, user: Any) -> QuerySet[StoreFollow]:
    """The stores `user` follows, newest first (still selling or not: the list says which)."""
    return StoreFollow.objects.filter(user=user).select_related("vendor", "vendor__store")


def store_followed(*, user: Any, vendor: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and StoreFollow.objects.filter(
        user=user, vendor=vendor).exists()
