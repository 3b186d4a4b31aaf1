"""Recommendations on the listing projection (ADR 0095): the similar-items batch, recently viewed
listings, and the indexed reads the pages serve from the batch tables.

Reads and the few writes live together here (not split into services/selectors) because every
function works on the same four tables and the batch is one SQL statement per table.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from common.databases import replica_alias
from marketplace.models import (
    SEARCH_CONFIG,
    BuyerPick,
    Listing,
    ListingCoPurchase,
    ListingSimilar,
    ListingView,
)

# How many neighbours the batch keeps per listing (and picks per buyer): pages show up to 4-8,
# the rest stands in for ones hidden between two batches.
KEEP = 12
# Recently viewed listings kept per buyer (table) or anonymous visitor (cookie).
RECENT_KEEP = 12
RECENT_COOKIE = "recently_viewed"
RECENT_COOKIE_SALT = "marketplace.recently_viewed"
RECENT_COOKIE_AGE = 30 * 24 * 3600


def shown(prefix: str = "") -> Q:
    """What a recommendation may show: an active listing, in stock, of an active vendor that is
    visible (not suspended, not taken down). `prefix` is the path to the listing ("other__")."""
    return Q(**{f"{prefix}status": Listing.Status.ACTIVE, f"{prefix}vendor_visible": True,
                f"{prefix}in_stock": True, f"{prefix}vendor__status": "active"})


# SQL fragment of `shown()` for a listing aliased `alias` joined to its vendor aliased `vendor`.
def _shown_sql(alias: str, vendor: str) -> str:
    return (f"{alias}.status = 'active' AND {alias}.vendor_visible AND {alias}.in_stock "
            f"AND {vendor}.status = 'active'")


# --- batch -------------------------------------------------------------------------------------


def similar_refresh(*, keep: int = KEEP) -> int:
    """Rebuild `ListingSimilar` for every visible listing: candidates share its category or match
    a word of its title (OR of the title's stemmed words against the search vector); the score
    adds 1 for the same category, the full-text rank and the titles' trigram similarity."""
    sql = f"""
        INSERT INTO marketplace_listingsimilar (listing_id, other_id, score, rank)
        SELECT l.id, s.id, s.score, s.rank
        FROM marketplace_listing l
        JOIN vendors_vendor lv ON lv.id = l.vendor_id
        CROSS JOIN LATERAL (
            SELECT coalesce(to_tsquery('{SEARCH_CONFIG}',
                       replace(plainto_tsquery('{SEARCH_CONFIG}', l.title)::text, ' & ', ' | ')),
                       ''::tsquery) AS q
        ) words
        CROSS JOIN LATERAL (
            SELECT o.id, c.score, row_number() OVER (ORDER BY c.score DESC, o.id) AS rank
            FROM marketplace_listing o
            JOIN vendors_vendor ov ON ov.id = o.vendor_id
            CROSS JOIN LATERAL (
                SELECT (CASE WHEN o.category_id = l.category_id THEN 1.0 ELSE 0.0 END)
                       + ts_rank(o.search_vector, words.q) + similarity(o.title, l.title) AS score
            ) c
            WHERE o.id <> l.id AND {_shown_sql('o', 'ov')}
              AND (o.category_id = l.category_id OR o.search_vector @@ words.q)
            ORDER BY c.score DESC, o.id
            LIMIT %s
        ) s
        WHERE l.status = 'active' AND l.vendor_visible AND lv.status = 'active'
    """  # noqa: S608  # nosec B608  # constant fragments only, values are parameters
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM marketplace_listingsimilar")
        cursor.execute(sql, [keep])
        return int(cursor.rowcount)


# --- reads ---------------------------------------------------------------------------------------


def _listings_from(rows: QuerySet[Any], *, limit: int, exclude: Iterable[int] = ()) -> list[Listing]:
    excluded = set(exclude)
    found: list[Listing] = []
    for row in rows:
        if row.other_id not in excluded and len(found) < limit:
            excluded.add(row.other_id)
            found.append(row.other)
    return found


def bought_together_query(*, listing_id: int, limit: int = 4) -> QuerySet[ListingCoPurchase]:
    return (ListingCoPurchase.objects.using(replica_alias()).filter(shown("other__"), listing_id=listing_id)
            .select_related("other").order_by("rank")[:limit])


def bought_together(*, listing_id: int, limit: int = 4) -> list[Listing]:
    """Frequently bought together with the listing, strongest first (one indexed query)."""
    return [row.other for row in bought_together_query(listing_id=listing_id, limit=limit)]


def similar_items(*, listing_id: int, limit: int = 4, exclude: Iterable[int] = ()) -> list[Listing]:
    """Listings like this one, closest first, leaving out `exclude` (one indexed query)."""
    excluded = set(exclude)
    rows = (ListingSimilar.objects.using(replica_alias()).filter(shown("other__"), listing_id=listing_id)
            .exclude(other_id__in=excluded).select_related("other").order_by("rank")[:limit])
    return [row.other for row in rows]


def bought_with_any(*, listing_ids: list[int], limit: int = 4) -> list[Listing]:
    """What is bought with any of `listing_ids` (an order's items): the strongest pairs first,
    never one of the items themselves; similar items fill the row when pairs are few."""
    if not listing_ids:
        return []
    pairs = (ListingCoPurchase.objects.using(replica_alias())
             .filter(shown("other__"), listing_id__in=listing_ids).exclude(other_id__in=listing_ids)
             .select_related("other").order_by("rank", "-buyers", "other_id")[: limit * 3])
    found = _listings_from(pairs, limit=limit, exclude=listing_ids)
    if len(found) < limit:
        similar = (ListingSimilar.objects.using(replica_alias())
                   .filter(shown("other__"), listing_id__in=listing_ids).exclude(other_id__in=listing_ids)
                   .select_related("other").order_by("rank", "-score", "other_id")[: limit * 3])
        found += _listings_from(similar, limit=limit - len(found), exclude=[*listing_ids, *(x.pk for x in found)])
    return found


def listing_ids_of_products(*, keys: Iterable[tuple[int, int]]) -> list[int]:
    """(vendor id, product id) pairs → the ids of their listings (any state), in one query."""
    match = Q()
    for vendor_id, product_id in set(keys):
        match |= Q(vendor_id=vendor_id, product_id=product_id)
    if not match:
        return []
    return list(Listing.objects.filter(match).order_by("pk").values_list("pk", flat=True))


def buyer_picks(*, user: Any, recent_ids: list[int], limit: int = 8) -> list[Listing]:
    """The home page's personal row: the batch's picks for the buyer, then (so a view counts at
    once) items similar to the last viewed ones; never one of the recently viewed themselves."""
    found: list[Listing] = []
    if getattr(user, "is_authenticated", False):
        picks = (BuyerPick.objects.using(replica_alias()).filter(shown("listing__"), user=user)
                 .exclude(listing_id__in=recent_ids).select_related("listing").order_by("rank")[:limit])
        found = [pick.listing for pick in picks]
    if len(found) < limit and recent_ids:
        similar = (ListingSimilar.objects.using(replica_alias())
                   .filter(shown("other__"), listing_id__in=recent_ids[:3]).exclude(other_id__in=recent_ids)
                   .select_related("other").order_by("rank", "-score", "other_id")[: limit * 3])
        found += _listings_from(similar, limit=limit - len(found), exclude=[x.pk for x in found])
    return found


# --- recently viewed -------------------------------------------------------------------------------


def _cookie_ids(request: HttpRequest) -> list[int]:
    raw = request.get_signed_cookie(RECENT_COOKIE, default="", salt=RECENT_COOKIE_SALT)
    return [int(part) for part in str(raw).split(",") if part.isdigit()][:RECENT_KEEP]


@transaction.atomic
def listing_view_note(*, user: Any, listing_id: int) -> None:
    """A signed-in buyer viewed the listing: it moves to the front; the oldest beyond the kept few go."""
    ListingView.objects.update_or_create(user=user, listing_id=listing_id, defaults={"viewed_at": timezone.now()})
    stale = ListingView.objects.filter(user=user).order_by("-viewed_at", "-id").values_list("pk", flat=True)[RECENT_KEEP:]
    ListingView.objects.filter(pk__in=list(stale)).delete()


def recent_ids(request: HttpRequest) -> list[int]:
    """The visitor's recently viewed listing ids, newest first (their table rows when signed in,
    the signed cookie otherwise)."""
    if request.user.is_authenticated:
        return list(ListingView.objects.filter(user=request.user).order_by("-viewed_at", "-id")
                    .values_list("listing_id", flat=True)[:RECENT_KEEP])
    return _cookie_ids(request)


def recent_note(request: HttpRequest, response: HttpResponse, *, listing_id: int) -> None:
    """Note a view of `listing_id`: in the table for a signed-in buyer (with what their anonymous
    cookie held, which is then dropped), in the signed cookie for anyone else."""
    if request.user.is_authenticated:
        earlier = _cookie_ids(request)
        existing = set(Listing.objects.filter(pk__in=earlier).values_list("pk", flat=True))
        for listing_pk in reversed(earlier):
            if listing_pk != listing_id and listing_pk in existing:
                listing_view_note(user=request.user, listing_id=listing_pk)
        listing_view_note(user=request.user, listing_id=listing_id)
        if RECENT_COOKIE in request.COOKIES:
            response.delete_cookie(RECENT_COOKIE)
        return
    ids = [listing_id, *(x for x in _cookie_ids(request) if x != listing_id)][:RECENT_KEEP]
    response.set_signed_cookie(RECENT_COOKIE, ",".join(map(str, ids)), salt=RECENT_COOKIE_SALT,
                               max_age=RECENT_COOKIE_AGE, httponly=True, samesite="Lax")


def recently_viewed(*, ids: list[int], exclude: Iterable[int] = (), limit: int = 8) -> list[Listing]:
    """The listings of `ids` still shown, in the order of `ids` (one query)."""
    wanted = [x for x in ids if x not in set(exclude)]
    by_id = {listing.pk: listing for listing in
             Listing.objects.using(replica_alias()).filter(shown(), pk__in=wanted)}
    return [by_id[x] for x in wanted if x in by_id][:limit]

