"""Marketplace writes: the category tree and the listing projection (public schema)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify
from django.utils.translation import gettext as _

from common.exceptions import Conflict, NotFound
from marketplace.errors import InvalidCategory, InvalidListing
from marketplace.models import (
    Category,
    CategoryRedirect,
    Listing,
    ListingTakedown,
    ListingTranslation,
    StoreFollow,
    search_config_for,
)
from marketplace.search import projection_changed

MAX_CATEGORY_DEPTH_PATH = 1000




def _changed() -> None:
    """Cached search facets are stale: now (readers inside this change) and again after commit."""
    projection_changed()
    transaction.on_commit(projection_changed)


# --- categories ------------------------------------------------------------------------------


def _category_path(parent: Category | None, slug: str) -> str:
    return f"{parent.path}/{slug}" if parent else slug


@transaction.atomic
def category_create(*, name: str, parent: Category | None = None, slug: str = "", position: int = 0) -> Category:
    name = (name or "").strip()[:120]
    slug = slugify(slug or name)[:80]
    if not name or not slug:
        raise InvalidCategory(_("A category needs a name."), fields={"name": ["required"]})
    if parent is not None:
        parent = Category.objects.select_for_update().get(pk=parent.pk)
    path = _category_path(parent, slug)
    if len(path) > MAX_CATEGORY_DEPTH_PATH:
        raise InvalidCategory(_("The category path is too long."), fields={"slug": ["too_long"]})
    if Category.objects.filter(path=path).exists():
        raise Conflict(_("A category %(path)s already exists.") % {"path": path}, code="duplicate_category",
                       fields={"slug": ["duplicate"]})
    try:
        with transaction.atomic():
            return Category.objects.create(
                parent=parent, name=name, slug=slug, path=path,
                depth=(parent.depth + 1) if parent else 0, position=position,
            )
    except IntegrityError as exc:
        raise Conflict(_("A category %(path)s already exists.") % {"path": path}, code="duplicate_category",
                       fields={"slug": ["duplicate"]}) from exc


@transaction.atomic
def _category_redirect_keep(*, category: Category, old_path: str) -> None:
    """Remember `old_path` for `category` (a later move of the path to another category wins)."""
    CategoryRedirect.objects.update_or_create(old_path=old_path, defaults={"category": category})
    # The category's new path is its own again, no longer an old address of anything.
    CategoryRedirect.objects.filter(old_path=category.path).delete()


def category_update(
    *, category: Category, name: str | None = None, slug: str | None = None,
    parent: Category | bool | None = False, position: int | None = None,
) -> Category:
    """Rename or move a category; descendants' paths follow. `parent=False` keeps the parent."""
    category = Category.objects.select_for_update().get(pk=category.pk)
    old_path = category.path
    if name is not None:
        category.name = name.strip()[:120]
        if not category.name:
            raise InvalidCategory(_("A category needs a name."), fields={"name": ["required"]})
    if slug is not None:
        category.slug = slugify(slug)[:80]
        if not category.slug:
            raise InvalidCategory(_("A category needs a slug."), fields={"slug": ["required"]})
    if parent is not False:
        new_parent = parent if isinstance(parent, Category) else None
        if new_parent is not None and (
            new_parent.pk == category.pk or new_parent.path.startswith(old_path + "/")
        ):
            raise InvalidCategory(_("A category cannot move under itself."), fields={"parent": ["cycle"]})
        category.parent = new_parent
        category.depth = (new_parent.depth + 1) if new_parent else 0
    if position is not None:
        category.position = position
    category.path = _category_path(category.parent, category.slug)
    if category.path != old_path and Category.objects.filter(path=category.path).exists():
        raise Conflict(_("A category %(path)s already exists.") % {"path": category.path}, code="duplicate_category",
                       fields={"slug": ["duplicate"]})
    try:
        with transaction.atomic():
            category.save()
            if category.path != old_path:
                _category_redirect_keep(category=category, old_path=old_path)
                descendants = Category.objects.select_for_update().filter(path__startswith=old_path + "/")
                for child in descendants.order_by("depth"):
                    child_old_path = child.path
                    child.path = category.path + child.path[len(old_path):]
                    child.depth = child.path.count("/")
                    child.save(update_fields=["path", "depth", "updated_at"])
                    _category_redirect_keep(category=child, old_path=child_old_path)
    except IntegrityError as exc:
        raise Conflict(_("That path is taken."), code="duplicate_category", fields={"slug": ["duplicate"]}) from exc
    _category_text_refresh(category.path)
    _changed()
    return category


def _category_text_refresh(path: str) -> None:
    """Listings carry their category names for search: refresh them for the subtree."""
    for category in Category.objects.filter(path__startswith=path):
        Listing.objects.filter(category=category).update(category_text=category_text(category))


@transaction.atomic
def category_delete(*, category: Category) -> None:
    category = Category.objects.select_for_update().get(pk=category.pk)
    if category.children.exists():
        raise Conflict(_("Move or delete its subcategories first."), code="category_has_children")
    try:
        category.delete()
    except ProtectedError as exc:
        raise Conflict(_("This category is in use."), code="category_in_use") from exc


def category_text(category: Category | None) -> str:
    if category is None:
        return ""
    names = list(
        Category.objects.filter(path__in=_ancestor_paths(category.path)).order_by("depth").values_list("name", flat=True)
    )
    return " ".join(names)


def _ancestor_paths(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def category_get(*, category_id: Any) -> Category:
    try:
        return Category.objects.get(pk=int(category_id))
    except (Category.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound(_("Category not found.")) from exc


# --- listings --------------------------------------------------------------------------------


class _CategoryCache:
    """Categories and their search text, looked up once per batch."""

    def __init__(self) -> None:
        self._rows: dict[int, tuple[Category | None, str]] = {}

    def get(self, category_id: Any) -> tuple[Category | None, str]:
        if not category_id:
            return None, ""
        if category_id not in self._rows:
            category = Category.objects.filter(pk=category_id).first()
            self._rows[category_id] = (category, category_text(category))
        return self._rows[category_id]


def _listing_fields(*, vendor: Any, payload: dict[str, Any], categories: _CategoryCache | None = None) -> dict[str, Any]:
    from catalog.services import description_sanitize

    category, text = (categories or _CategoryCache()).get(payload.get("category_id"))
    created = payload.get("created_at")
    created_at: datetime = (parse_datetime(created) if isinstance(created, str) else None) or timezone.now()
    return {
        "status": payload.get("status", Listing.Status.DRAFT),
        "vendor_visible": bool(vendor.is_selling),
        "title": (payload.get("title") or "")[:200],
        "handle": (payload.get("handle") or "")[:120],
        # Sanitized at the vendor's write already; cleaned again because pages render it as HTML.
        "description_html": description_sanitize(payload.get("description_html") or ""),
        "description_text": payload.get("description_text") or "",
        "vendor_name": vendor.name,
        "category": category,
        "category_text": text,
        "currency": payload.get("currency") or vendor.currency,
        "price_min": int(payload.get("price_min") or 0),
        "price_max": int(payload.get("price_max") or 0),
        "compare_at_amount": payload.get("compare_at_amount"),
        "stock_total": int(payload.get("stock_total") or 0),
        "in_stock": bool(payload.get("in_stock")),
        "variants": payload.get("variants") or [],
        "option_types": payload.get("option_types") or [],
        "attributes": payload.get("attributes") or {},
        "image_url": payload.get("image_url") or "",
        "thumbnail_url": payload.get("thumbnail_url") or "",
        "images": _gallery(payload),
        "product_created_at": created_at,
    }


def _gallery(payload: dict[str, Any]) -> list[dict[str, str]]:
    """The product's pictures as the listing keeps them (with their srcsets); an event from before
    galleries (only `image_url`) gives a gallery of that one picture."""
    images = payload.get("images")
    if images is None:
        images = [{"url": payload["image_url"], "thumbnail_url": payload.get("thumbnail_url") or "", "alt": ""}] \
            if payload.get("image_url") else []
    return [{"url": str(image.get("url") or ""), "thumbnail_url": str(image.get("thumbnail_url") or ""),
             "alt": str(image.get("alt") or "")[:300],
             # The renditions' srcsets per format, when the catalog made them (ADR 0091).
             **{key: str(image[key])[:4000] for key in ("srcset", "srcset_avif") if image.get(key)}}
            for image in images[:20] if image.get("url")]


def listing_apply(
    *, vendor: Any, product_id: int, version: int, deleted: bool = False, payload: dict[str, Any] | None = None
) -> bool:
    """Apply one product event: only a newer version changes the listing (replays are no-ops).

    A delete leaves a tombstone row (status "deleted") holding its version, so an older
    "changed" event arriving late cannot bring the product back.
    """
    event = {"product_id": product_id, "version": version, "deleted": deleted, "payload": payload or {}}
    return listings_apply_batch(vendor=vendor, events=[event]) == 1


_LISTING_FIELDS = (
    "status", "vendor_visible", "title", "handle", "description_html", "description_text", "vendor_name",
    "category", "category_text", "currency", "price_min", "price_max", "compare_at_amount", "stock_total",
    "in_stock", "variants", "option_types", "attributes", "image_url", "thumbnail_url", "images",
    "product_created_at",
)
# Only these change when a delete event reaches an existing listing (the rest is kept as it was).
_TOMBSTONE_FIELDS = ("status",)


def _record_type(field: Any) -> str:
    """The column's type without its length (`varchar`, not `varchar(200)`): length limits are then
    enforced by the insert into the table, as for any other write, instead of cutting the value."""
    return re.sub(r"\(.*\)", "", field.db_type(connection) or "")


@functools.cache
def _upsert_sql(update_fields: tuple[str, ...]) -> str:
    """One `INSERT … ON CONFLICT DO UPDATE` for a whole batch, the rows given as one JSON array.

    The version guard is in the statement: a row whose stored version is the same or newer is
    left alone (and not returned), so replays, duplicates and late events change nothing, also
    when another relay wrote the row a moment ago. Rows are inserted in product order, so two
    relays of one vendor lock the rows they share in the same order (no deadlock).
    """
    # get_field() is typed as possibly returning a reverse relation (no `column`); these names are
    # all concrete columns of Listing.
    fields: list[Any] = [Listing._meta.get_field(name) for name in ("product_id", "version", *_LISTING_FIELDS)]
    record = ", ".join(f"{field.column} {_record_type(field)}" for field in fields)
    columns = ", ".join(field.column for field in fields)
    # A listing the platform took down stays hidden whatever its vendor changes (ADR 0077).
    takedowns = ListingTakedown._meta.db_table
    active = ", ".join(f"'{status}'" for status in ListingTakedown.ACTIVE)
    selected = columns.replace(
        "vendor_visible",
        f"(event.vendor_visible AND NOT EXISTS (SELECT 1 FROM {takedowns} t WHERE t.vendor_id = %s "  # noqa: S608  # nosec B608  # table name and fixed statuses only
        f"AND t.product_id = event.product_id AND t.status IN ({active}))) AS vendor_visible", 1)
    updates = ", ".join(
        f"{field.column} = EXCLUDED.{field.column}"  # type: ignore[union-attr]  # concrete columns, as above
        for field in (Listing._meta.get_field(name) for name in ("version", *update_fields, "updated_at"))
    )
    return (
        f"INSERT INTO {Listing._meta.db_table} AS listing (vendor_id, {columns}, updated_at) "  # noqa: S608  # nosec B608  # model and column names only; values are parameters
        f"SELECT %s::bigint, {selected}, %s::timestamptz "
        f"FROM jsonb_to_recordset(%s::jsonb) AS event({record}) ORDER BY product_id "
        f"ON CONFLICT (vendor_id, product_id) DO UPDATE SET {updates} "
        "WHERE listing.version < EXCLUDED.version "
        "RETURNING listing.product_id"
    )


def _listing_row(*, product_id: int, version: int, fields: dict[str, Any]) -> dict[str, Any]:
    """A listing as one JSON object for `_upsert_sql` (keys are the table's columns)."""
    category = fields.pop("category", None)
    created_at: datetime = fields.pop("product_created_at")
    if timezone.is_naive(created_at):
        created_at = timezone.make_aware(created_at)
    return {**fields, "product_id": product_id, "version": version,
            "category_id": category.pk if category is not None else None,
            "product_created_at": created_at.isoformat()}


def _tombstone_fields(vendor: Any) -> dict[str, Any]:
    """What a delete event inserts when the listing does not exist yet (a late or lost create)."""
    return {"status": Listing.Status.DELETED, "vendor_visible": bool(vendor.is_selling), "title": "",
            "handle": "", "description_html": "", "description_text": "", "vendor_name": vendor.name,
            "category": None, "category_text": "", "currency": vendor.currency, "price_min": 0, "price_max": 0,
            "compare_at_amount": None, "stock_total": 0, "in_stock": False, "variants": [],
            "option_types": [], "attributes": {}, "image_url": "", "thumbnail_url": "", "images": [],
            "product_created_at": timezone.now()}


@transaction.atomic
def listings_apply_batch(*, vendor: Any, events: list[dict[str, Any]]) -> int:
    """Apply many product events at once (the relay's path, and `listing_apply`'s).

    Each event is {"product_id", "version", "deleted", "payload"}. Per product only the newest event
    of the batch counts; it changes the listing only if its version is newer than the stored one.
    At most two statements whatever the batch size: one upsert for changed products, one for
    deleted ones (tombstones). Every row carries `vendor`, so a batch only touches that vendor's
    listings. Returns how many listings changed.
    """
    latest: dict[int, dict[str, Any]] = {}
    for event in events:
        current = latest.get(event["product_id"])
        if current is None or event["version"] > current["version"]:
            latest[event["product_id"]] = event
    if not latest:
        return 0
    categories = _CategoryCache()
    changed_rows: list[dict[str, Any]] = []
    deleted_rows: list[dict[str, Any]] = []
    for product_id, event in latest.items():
        if event["deleted"]:
            deleted_rows.append(_listing_row(product_id=product_id, version=event["version"],
                                             fields=_tombstone_fields(vendor)))
        else:
            fields = _listing_fields(vendor=vendor, payload=event["payload"] or {}, categories=categories)
            changed_rows.append(_listing_row(product_id=product_id, version=event["version"],
                                             fields=fields))
    now = timezone.now()
    applied = 0
    with connection.cursor() as cursor:
        for rows, update_fields in ((changed_rows, _LISTING_FIELDS), (deleted_rows, _TOMBSTONE_FIELDS)):
            if rows:
                cursor.execute(_upsert_sql(update_fields),
                               [vendor.pk, vendor.pk, now, json.dumps(rows, cls=DjangoJSONEncoder)])
                returned = [row[0] for row in cursor.fetchall()]
                applied += len(returned)
                if rows is changed_rows:
                    _translations_sync(vendor=vendor, cursor=cursor, applied=set(returned), latest=latest)
    if applied:
        _changed()
    return applied


def _translation_rows(vendor: Any, product_id: int, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The listing's per-language texts: each translation, and the vendor's own text in its content
    language when that is not English (the listing's main search vector is English)."""
    texts = dict(payload.get("translations") or {})
    own = vendor.content_language
    if own != "en" and own not in texts:
        texts[own] = {key: payload.get(key) or "" for key in ("title", "description_html", "description_text")}
    return [{"product_id": product_id, "language": language, "config": search_config_for(language),
             "title": (text.get("title") or "")[:200], "description_html": text.get("description_html") or "",
             "description_text": text.get("description_text") or ""}
            for language, text in sorted(texts.items()) if language in dict(settings.LANGUAGES)]


def _translations_sync(*, vendor: Any, cursor: Any, applied: set[int], latest: dict[int, dict[str, Any]]) -> None:
    """Replace the translations of the listings this batch changed (two statements, none when no
    event carries translations: events of older producers and of tests leave them as they are)."""
    from catalog.services import description_sanitize

    product_ids = sorted(pid for pid in applied if "translations" in (latest[pid]["payload"] or {}))
    if not product_ids:
        return
    rows = [row for pid in product_ids for row in _translation_rows(vendor, pid, latest[pid]["payload"])]
    for row in rows:
        row["description_html"] = description_sanitize(row["description_html"])
    listings, translations = Listing._meta.db_table, ListingTranslation._meta.db_table
    cursor.execute(
        f"DELETE FROM {translations} WHERE listing_id IN (SELECT id FROM {listings} "  # noqa: S608  # nosec B608  # table names only
        "WHERE vendor_id = %s AND product_id = ANY(%s))", [vendor.pk, product_ids])
    if rows:
        cursor.execute(
            f"INSERT INTO {translations} (listing_id, language, title, description_html, description_text, "  # noqa: S608  # nosec B608  # table names only
            "search_vector) SELECT l.id, t.language, t.title, t.description_html, t.description_text, "
            "setweight(to_tsvector(t.config::regconfig, t.title), 'A') || "
            "setweight(to_tsvector(t.config::regconfig, t.description_text), 'D') "
            "FROM jsonb_to_recordset(%s::jsonb) AS t(product_id bigint, language text, config text, title text, "
            f"description_html text, description_text text) JOIN {listings} l "
            "ON l.vendor_id = %s AND l.product_id = t.product_id", [json.dumps(rows), vendor.pk])


# --- ratings (written by the reviews app, which sits above marketplace) -----------------------

# Called with a vendor id after `listings_rebuild` rebuilt that vendor's listings, so ratings kept
# elsewhere are written back onto rows the rebuild created (`ReviewsConfig.ready` subscribes).
_rebuild_followers: list[Callable[[int], None]] = []


def listings_rebuild_follow(follower: Callable[[int], None]) -> None:
    if follower not in _rebuild_followers:
        _rebuild_followers.append(follower)


@transaction.atomic
def listing_rating_set(*, vendor_id: int, product_id: int,
                       summarize: Callable[[], tuple[int, int]]) -> Listing | None:
    """Write the rating of one product's listing: `summarize()` returns (count, sum of stars) of
    its published reviews and is called with the listing row locked, so two reviews published at
    once are both counted (the second waits, then reads the first's committed review).

    None when the product has no listing (not projected yet: the rebuild's follower fills it in).
    """
    listing = Listing.objects.select_for_update().filter(vendor_id=vendor_id, product_id=product_id).first()
    if listing is None:
        return None
    count, total = summarize()
    if count < 0 or (count and not count <= total <= 5 * count) or (not count and total):
        raise InvalidListing(_("A rating summary must have 1 to 5 stars per review."), fields={"rating": ["invalid"]})
    listing.rating_count = count
    listing.rating = rating_mean(count=count, total=total)
    listing.save(update_fields=["rating", "rating_count", "updated_at"])
    _changed()
    return listing


def rating_mean(*, count: int, total: int) -> Decimal:
    """The mean of `count` ratings summing to `total`, to two decimals, halves up (0 for none)."""
    if not count:
        return Decimal("0.00")
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@transaction.atomic
def listing_feature_set(*, listing_id: int, position: int | None) -> Listing:
    """Hand-pick a listing for the home page at `position` (1 first), or drop it (None)."""
    if position is not None and (isinstance(position, bool) or not isinstance(position, int)
                                 or not 1 <= position <= 100):
        raise InvalidListing(_("The position is a whole number from 1 to 100."),
                             fields={"position": ["invalid"]})
    listing = Listing.objects.select_for_update().filter(pk=listing_id).first()
    if listing is None:
        raise NotFound(_("Listing not found."))
    listing.featured_position = position
    listing.save(update_fields=["featured_position", "updated_at"])
    _changed()
    return listing


def listing_visibility_set(*, listing_id: int, visible: bool) -> None:
    """Hide a listing at once (a takedown) or show it again if its vendor is selling (restored)."""
    listing = Listing.objects.select_related("vendor").get(pk=listing_id)
    Listing.objects.filter(pk=listing_id).update(vendor_visible=visible and listing.vendor.is_selling,
                                                 updated_at=timezone.now())
    _changed()


def listings_hide_for_vendor(*, vendor_id: int) -> int:
    """Hide every listing of the vendor at once (suspension, lost ability to sell)."""
    hidden = Listing.objects.filter(vendor_id=vendor_id, vendor_visible=True).update(
        vendor_visible=False, updated_at=timezone.now()
    )
    _changed()  # after the write: a search between a bump and the write would cache the old counts
    return hidden


def listings_follow_vendor(*, vendor_id: int, visible: bool) -> None:
    """A vendor suspended or reinstated: hide or show its listings, in the vendor's transaction
    (subscribed with `vendors.services.vendor_visibility_follow` by `MarketplaceConfig.ready`)."""
    if visible:
        listings_show_for_vendor(vendor_id=vendor_id)
    else:
        listings_hide_for_vendor(vendor_id=vendor_id)


def listings_show_for_vendor(*, vendor_id: int) -> int:
    """Show the vendor's listings again, if the vendor is selling (active and charges enabled)."""
    from vendors.models import Vendor

    vendor = Vendor.objects.filter(pk=vendor_id).first()
    if vendor is None or not vendor.is_selling:
        return 0
    shown = Listing.objects.filter(vendor_id=vendor_id, vendor_visible=False).exclude(
        pk__in=ListingTakedown.objects.filter(vendor_id=vendor_id, status__in=ListingTakedown.ACTIVE)
        .values("listing_id")).update(
        vendor_visible=True, updated_at=timezone.now()
    )
    _changed()
    return shown


def listings_rebuild(*, vendor_ids: list[int] | None = None) -> dict[str, int]:
    """Rebuild the projection from every vendor schema (or some): upsert all, tombstone the gone."""
    from django_tenants.utils import schema_context

    from catalog.models import Product
    from catalog.selectors import product_snapshot
    from vendors.models import Vendor

    counts = {"vendors": 0, "upserted": 0, "removed": 0}
    vendors = Vendor.objects.select_related("store").filter(store__status="ready")
    if vendor_ids:
        vendors = vendors.filter(pk__in=vendor_ids)
    for vendor in vendors:
        counts["vendors"] += 1
        assert vendor.store is not None
        with schema_context(vendor.store.schema_name), transaction.atomic():
            seen: set[int] = set()
            products = Product.objects.prefetch_related("variants", "images", "translations").order_by("pk")
            for product in products.iterator(chunk_size=500):
                seen.add(product.pk)
                # Rebuild forces the current state even if the stored version is equal.
                Listing.objects.filter(vendor=vendor, product_id=product.pk, version__gte=product.version).update(
                    version=product.version - 1)
                listing_apply(vendor=vendor, product_id=product.pk, version=product.version,
                              payload=product_snapshot(product))
                counts["upserted"] += 1
            gone = Listing.objects.filter(vendor=vendor).exclude(product_id__in=seen).exclude(
                status=Listing.Status.DELETED)
            counts["removed"] += gone.update(status=Listing.Status.DELETED, updated_at=timezone.now())
            taken_down = ListingTakedown.objects.filter(vendor=vendor, status__in=ListingTakedown.ACTIVE)
            Listing.objects.filter(vendor=vendor).exclude(pk__in=taken_down.values("listing_id")).update(
                vendor_visible=vendor.is_selling)
            for follower in _rebuild_followers:
                follower(vendor.pk)
    return counts


# --- following stores (ADR 0091) ------------------------------------------------------------------


def store_follow(*, user: Any, vendor: Any) -> StoreFollow:
    """Follow a selling vendor's store; following it again changes nothing."""
    if vendor.status != vendor.Status.ACTIVE:
        raise NotFound(_("Store not found."))
    follow, _created = StoreFollow.objects.get_or_create(user=user, vendor=vendor)
    return follow


def store_unfollow(*, user: Any, vendor: Any) -> None:
    StoreFollow.objects.filter(user=user, vendor=vendor).delete()
