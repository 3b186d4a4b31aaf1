"""The search interface over the listing projection (PostgreSQL today, OpenSearch-ready).

Callers use `SearchParams`, `search()` and `suggest()` only; nothing outside this module
knows how the query is executed, so a different backend can replace `PostgresSearchBackend`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Protocol

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.core.cache import cache
from django.db import connections
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Round
from django.utils import translation
from django.utils.translation import gettext

from common.databases import replica_alias
from common.money import SUPPORTED_CURRENCIES, MoneyError, convert, exponent, parse_amount
from marketplace.models import (
    SEARCH_CONFIG,
    Category,
    Listing,
    ListingTranslation,
    search_config_for,
)
from marketplace.price_rates import price_rates

FACET_CACHE_SECONDS = 300
# Exact totals and facet counts up to this many matches; beyond, "1,000+" and counts over a sample.
TOTAL_CAP = 1_000
# Relevance ranks at most this many matches (the newest): ts_rank cost is bounded for broad words.
RANK_CANDIDATES = 1_000
# Typo fallback over titles (trigram similarity) looks at no more rows than this.
FUZZY_CANDIDATES = 200
MAX_CORRECTED = 6  # words of one query the spelling corrector looks at
GENERATION_KEY = "marketplace:listings:generation"
MAX_QUERY_CHARS = 200
MAX_PAGE_SIZE = 60
DEFAULT_PAGE_SIZE = 24
SORTS = ("relevance", "price_asc", "price_desc", "newest", "rating")
# The rating facet: "n stars and up" for each n (a listing counts once per threshold it reaches).
RATING_THRESHOLDS = (4, 3, 2, 1)
PRICE_BUCKETS = ((0, 10), (10, 25), (25, 50), (50, 100), (100, None))  # major units
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WORD = re.compile(r"\w+", re.UNICODE)
_ATTR_NAME = re.compile(r"^[\w\- ]{1,30}$", re.UNICODE)


def normalize_query(text: Any) -> str:
    """Printable text, single spaces, at most MAX_QUERY_CHARS: what we search for."""
    text = unicodedata.normalize("NFC", str(text or ""))
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())[:MAX_QUERY_CHARS].strip()


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    category: str = ""  # slug path, e.g. "outdoor/backpacks"
    vendor: str = ""  # vendor slug
    price_min: int | None = None  # minor units
    price_max: int | None = None
    currency: str = "EUR"
    in_stock: bool = False
    attributes: tuple[tuple[str, str], ...] = ()
    rating_min: int | None = None  # whole stars: listings rated at least this (reviewed ones only)
    sort: str = "relevance"
    # Rates to `currency` (target per one unit of each listing currency), filled by `search()`
    # from the registered rates (ADR 0087); a listing currency left out has no rate today.
    rates: tuple[tuple[str, Decimal], ...] = ()
    cursor: str = ""
    limit: int = DEFAULT_PAGE_SIZE


@dataclass
class Facet:
    value: str
    label: str
    count: int
    selected: bool = False
    # True when the count is over a capped sample of the matches: at least `count`.
    capped: bool = False


@dataclass
class SearchPage:
    params: SearchParams
    results: list[Listing]
    total: int
    next_cursor: str | None
    facets: dict[str, list[Facet]] = field(default_factory=dict)
    # True when there are more than `total` (= TOTAL_CAP) matches: show "10,000+".
    total_capped: bool = False
    # The spelling-corrected text searched instead of `params.q` when `q` found nothing ("").
    corrected_q: str = ""
    # Currencies without a rate to `params.currency` today: their listings are left out of a price
    # filter and the price facet, and come last in a price sort (ADR 0087).
    unconverted: tuple[str, ...] = ()


def params_from_query(data: Mapping[str, Any]) -> tuple[SearchParams, dict[str, list[str]]]:
    """Build params from a query string; bad values are dropped and reported, never raised."""
    errors: dict[str, list[str]] = {}

    def get(name: str) -> str:
        value = data.get(name, "")
        return normalize_query(value if isinstance(value, str) else "")

    currency = get("currency").upper() or "EUR"
    if not re.fullmatch(r"[A-Z]{3}", currency):
        errors["currency"] = ["invalid"]
        currency = "EUR"
    prices: dict[str, int | None] = {"price_min": None, "price_max": None}
    for name in prices:
        raw = get(name)
        if raw:
            try:
                amount = parse_amount(raw, currency)
            except MoneyError:
                errors[name] = ["invalid"]
                continue
            if amount < 0 or amount > 10**12:
                errors[name] = ["invalid"]
                continue
            prices[name] = amount
    sort = get("sort") or "relevance"
    if sort not in SORTS:
        errors["sort"] = ["invalid"]
        sort = "relevance"
    try:
        limit = int(get("limit") or DEFAULT_PAGE_SIZE)
    except ValueError:
        errors["limit"] = ["invalid"]
        limit = DEFAULT_PAGE_SIZE
    attributes: list[tuple[str, str]] = []
    getlist = getattr(data, "getlist", None)
    raw_attrs = getlist("attr") if getlist else ([data["attr"]] if "attr" in data else [])
    for raw in raw_attrs[:10]:
        if not normalize_query(raw):
            continue  # `attr=`: no filter, like every other empty parameter
        name, sep, value = normalize_query(raw).partition(":")
        if not sep or not _ATTR_NAME.match(name) or not value:
            errors["attr"] = ["invalid"]
            continue
        attributes.append((name.strip().lower(), value.strip()[:60]))
    rating_min: int | None = None
    raw_rating = get("rating_min")
    if raw_rating:
        if raw_rating in {str(n) for n in RATING_THRESHOLDS}:
            rating_min = int(raw_rating)
        else:
            errors["rating_min"] = ["invalid"]
    cursor = get("cursor")
    if cursor and _cursor_decode(cursor, sort) is None:
        errors["cursor"] = ["invalid"]
        cursor = ""
    params = SearchParams(
        q=get("q"), category=get("category").strip("/")[:1000], vendor=get("vendor")[:40],
        price_min=prices["price_min"], price_max=prices["price_max"], currency=currency,
        in_stock=get("in_stock") in {"1", "true", "on", "yes"}, attributes=tuple(attributes),
        rating_min=rating_min, sort=sort, cursor=cursor, limit=max(1, min(limit, MAX_PAGE_SIZE)),
    )
    return params, errors


def _cursor_encode(sort: str, key: Any, pk: int) -> str:
    raw = json.dumps([sort, key, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_decode(cursor: str, sort: str) -> tuple[Any, int] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not (isinstance(value, list) and len(value) == 3 and value[0] == sort):
        return None
    _, key, pk = value
    if not isinstance(pk, int) or isinstance(pk, bool):
        return None
    if sort == "relevance" and not isinstance(key, (int, float)):
        return None
    if sort in {"price_asc", "price_desc"} and not isinstance(key, int):
        return None
    if sort == "newest" and not isinstance(key, str):
        return None
    if sort == "rating" and not (isinstance(key, str) and re.fullmatch(r"[0-5]\.[0-9]{2}", key)):
        return None
    return key, pk


def _redis() -> Any:
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def projection_generation() -> int:
    """A counter bumped after every projection change (raw key: public data, not per schema)."""
    return int(_redis().get(GENERATION_KEY) or 0)


def projection_changed() -> None:
    """Call after a projection write commits: cached facets of older generations stop being used."""
    _redis().incr(GENERATION_KEY)


class SearchBackend(Protocol):
    def search(self, params: SearchParams) -> SearchPage: ...

    def suggest(self, prefix: str, limit: int = 8) -> list[str]: ...


def _sort_used(params: SearchParams) -> str:
    """The sort applied: relevance needs words, so without them it is newest first."""
    return params.sort if (params.sort != "relevance" or params.q) else "newest"


class PostgresSearchBackend:
    """Full-text search (weighted tsvector, English+unaccent), built to stay fast at a million rows.

    - Relevance ranks a bounded candidate set: the newest `RANK_CANDIDATES` matches (the planner
      walks the recency index when a word is common, or ranks every match when they are few), so
      `ts_rank` never reads tens of thousands of vectors.
    - Totals are exact up to `TOTAL_CAP`, then reported as "at least" (`SearchPage.total_capped`);
      facet counts come from the same capped sample of the matches (`Facet.capped` when cut).
    - Typos: only when the words find nothing, each unknown word is corrected against the word
      vocabulary (`SearchTerm`: trigram candidates and one-edit variants, ranked by edit distance);
      trigram similarity over titles (bounded) is the last resort.
    """

    def visible(self) -> QuerySet[Listing]:
        return Listing.objects.using(replica_alias()).filter(status=Listing.Status.ACTIVE, vendor_visible=True)

    def _matches(self, text: str) -> bool:
        return self.visible().filter(_text_match(text)).exists()

    def _resolve(self, params: SearchParams) -> tuple[str, str]:
        """(mode, text): ("fts", q) when the words match as words, else see `_fallback`."""
        if not params.q:
            return "", ""
        if self._matches(params.q):
            return "fts", params.q
        return self._fallback(params)

    def _fallback(self, params: SearchParams) -> tuple[str, str]:
        """For words that match nothing: ("fts", corrected q) when a spelling correction matches,
        else ("fuzzy", q) (trigram similarity over titles).

        Correcting only when full text finds nothing keeps broad queries cheap, and searching the
        corrected words keeps ranking, facets and pagination those of a normal search.
        """
        corrected = correct_spelling(params.q)
        if corrected != params.q and self._matches(corrected):
            return "fts", corrected
        return "fuzzy", params.q

    def _text_mode(self, params: SearchParams) -> str:
        return self._resolve(params)[0]

    def _subtree_ids(self, path: str) -> list[int]:
        return list(Category.objects.using(replica_alias()).filter(Q(path=path) | Q(path__startswith=path + "/")).values_list("id", flat=True))

    def _filtered(self, params: SearchParams, *, skip: str = "", mode: str = "", sample: bool = False
                  ) -> QuerySet[Listing]:
        """The visible listings matching `params` but the filter `skip`. For a facet `sample`, an
        attribute filter is written so that no index can take it (COALESCE around `@>`): the
        planner then reads the covering facet index (category, price) and checks the attribute on
        each index entry, instead of building a bitmap of every listing with a common attribute
        value (166,000 of a million for `material: wool`) and visiting the table (ADR 0064)."""
        qs = self.visible()
        if params.category and skip != "category":
            # The subtree's ids as literals: the planner then estimates (and bitmaps) category_id
            # directly instead of looping over a join with the category table.
            qs = qs.filter(category_id__in=self._subtree_ids(params.category))
        if params.vendor and skip != "vendor":
            qs = qs.filter(vendor__slug=params.vendor)
        if skip != "price" and (params.price_min is not None or params.price_max is not None):
            qs = qs.filter(_price_filter(params))
        if params.in_stock and skip != "in_stock":
            qs = qs.filter(in_stock=True)
        if params.rating_min is not None and skip != "rating":
            qs = qs.filter(rating_count__gt=0, rating__gte=params.rating_min)
        for name, value in params.attributes:
            if skip != f"attr:{name}":
                if sample:
                    qs = qs.filter(Coalesce(ExpressionWrapper(Q(attributes__contains={name: value}),
                                                              output_field=BooleanField()), Value(False)))
                else:
                    qs = qs.filter(attributes__contains={name: value})
        if params.q:
            if (mode or self._text_mode(params)) == "fts":
                qs = qs.filter(_text_match(params.q))
            else:
                qs = qs.filter(title__trigram_word_similar=params.q)
        return qs

    def _ranked(self, qs: QuerySet[Listing], params: SearchParams, mode: str) -> QuerySet[Listing]:
        if not params.q:
            return qs.annotate(score=Value(0.0, output_field=FloatField()))
        if mode == "fuzzy":
            return qs.annotate(score=Cast(TrigramWordSimilarity(params.q, "title"), FloatField()))
        query = SearchQuery(params.q, config=SEARCH_CONFIG, search_type="websearch")
        rank: Any = Coalesce(SearchRank(F("search_vector"), query), Value(0.0))
        language = content_language()
        if language:
            translated = _translations(language, params.q).annotate(
                rank=SearchRank(F("search_vector"), _language_query(language, params.q))).values("rank")[:1]
            rank = Greatest(rank, Coalesce(Subquery(translated), Value(0.0)))
        return qs.annotate(score=Cast(rank, FloatField()))

    def _top_ranked(self, base: QuerySet[Listing], params: SearchParams, mode: str,
                    after: tuple[float, int] | None) -> list[tuple[int, float]]:
        """(id, score) of one relevance page (+1 row), ranked within a bounded candidate set.

        Candidates are at most RANK_CANDIDATES matches, newest first: with few matches that is all
        of them (the planner ranks them from the GIN bitmap); with many, the walk of the recency
        index stops after RANK_CANDIDATES matching rows whatever the match count. The score is
        computed in that same pass (no second read of the rows), the page is cut from it, and only
        the page's rows are then loaded. Fuzzy matches: any FUZZY_CANDIDATES of them.
        """
        candidates = self._ranked(base, params, mode).order_by()
        if mode == "fuzzy":
            # `score` is annotated by _ranked(); its QuerySet[Listing] return type does not carry it.
            candidates = candidates.values("id", "score")[:FUZZY_CANDIDATES]  # type: ignore[misc]
        else:
            candidates = candidates.order_by("-product_created_at", "-id").values("id", "score")[:RANK_CANDIDATES]  # type: ignore[misc]
        inner, inner_params = candidates.query.sql_with_params()
        where, extra = "", []
        if after is not None:
            where = "WHERE c.score < %s OR (c.score = %s AND c.id < %s) "
            extra = [after[0], after[0], after[1]]
        # The inner query is compiled by Django with its parameters kept separate.
        sql = f"SELECT c.id, c.score FROM ({inner}) c {where}ORDER BY c.score DESC, c.id DESC LIMIT %s"  # noqa: S608  # nosec B608  # Django-compiled SQL, values are parameters
        with connections[replica_alias()].cursor() as cursor:
            cursor.execute(sql, [*inner_params, *extra, params.limit + 1])
            return [(int(pk), float(score)) for pk, score in cursor.fetchall()]

    def search(self, params: SearchParams) -> SearchPage:
        # Optimistic: the words usually match, so the page query itself tells; only an empty page
        # costs the check (and then the spelling correction or the trigram fallback).
        mode, text = ("fts", params.q) if params.q else ("", "")
        rows = self._page_rows(params, text, mode)
        if params.q and not rows and not self._matches(params.q):
            mode, text = self._fallback(params)
            rows = self._page_rows(params, text, mode)
        rows = listings_localize(rows)
        effective = replace(params, q=text) if text != params.q else params
        sort = _sort_used(params)
        key_field = {"relevance": "score", "price_asc": "price_sort", "price_desc": "price_sort",
                     "newest": "product_created_at", "rating": "rating"}[sort]
        next_cursor = None
        if len(rows) > params.limit:
            rows = rows[: params.limit]
            last = rows[-1]
            value = getattr(last, key_field)
            if sort == "newest":
                value = value.isoformat()
            elif sort == "rating":
                value = f"{value:.2f}"
            next_cursor = _cursor_encode(params.sort, value, last.pk)
        facets, total, capped = self._facets_cached(effective, mode)
        return SearchPage(params=params, results=rows, total=total, next_cursor=next_cursor, facets=facets,
                          total_capped=capped, corrected_q=text if text != params.q else "",
                          unconverted=unconverted_currencies(params))

    def _page_rows(self, params: SearchParams, text: str, mode: str) -> list[Listing]:
        """One page (+1 row) of listings for `text` searched in `mode`, after the cursor."""
        effective = replace(params, q=text) if text != params.q else params
        sort = _sort_used(params)
        base = self._filtered(effective, mode=mode)
        decoded = _cursor_decode(params.cursor, params.sort) if params.cursor else None
        if sort == "relevance":
            after = (float(decoded[0]), decoded[1]) if decoded is not None else None
            top = self._top_ranked(base, effective, mode, after)
            loaded = Listing.objects.using(replica_alias()).select_related("vendor", "category").defer(*_NOT_ON_CARDS).in_bulk(
                [pk for pk, _score in top])
            rows = []
            for pk, score in top:
                if pk in loaded:
                    listing = loaded[pk]
                    listing.score = score  # type: ignore[attr-defined]
                    rows.append(listing)
            return rows
        key_field, descending = {
            "price_asc": ("price_sort", False),
            "price_desc": ("price_sort", True),
            "newest": ("product_created_at", True),
            "rating": ("rating", True),
        }[sort]
        # Score is not a sort key here: ts_rank is not computed for rows sorted by price or date.
        ranked = base.annotate(score=Value(0.0, output_field=FloatField()))
        if sort in {"price_asc", "price_desc"}:
            # Listings without a rate today come last either way (a key past every converted price).
            ranked = ranked.annotate(price_sort=Coalesce(_converted_price(params), Value(
                -1 if descending else UNCONVERTED_LAST, output_field=BigIntegerField())))
        ranked = ranked.select_related("vendor", "category").defer(*_NOT_ON_CARDS)
        if decoded is not None:
            key, pk = decoded
            if sort == "newest":
                from django.utils.dateparse import parse_datetime

                key = parse_datetime(key) if isinstance(key, str) else None
            elif sort == "rating":
                key = Decimal(key)
            if key is not None:
                if descending:
                    ranked = ranked.filter(Q(**{f"{key_field}__lt": key}) | Q(**{key_field: key, "id__lt": pk}))
                else:
                    ranked = ranked.filter(Q(**{f"{key_field}__gt": key}) | Q(**{key_field: key, "id__gt": pk}))
        order = [f"-{key_field}", "-id"] if descending else [key_field, "id"]
        return list(ranked.order_by(*order)[: params.limit + 1])

    def _facets_cached(self, params: SearchParams, mode: str) -> tuple[dict[str, list[Facet]], int, bool]:
        """Facets and total depend on the filters, not the page: cache them per projection generation
        (and per language, since some labels are translated)."""
        key = "search:facets:" + hashlib.sha256(
            repr((projection_generation(), replace(params, cursor="", limit=0, sort=""), mode,
                  translation.get_language())).encode()
        ).hexdigest()
        cached = cache.get(key)
        if isinstance(cached, tuple) and len(cached) == 3:
            return cached
        result = self._facets(params, mode)
        cache.set(key, result, FACET_CACHE_SECONDS)
        return result

    def facets(self, params: SearchParams, *, mode: str = "") -> tuple[dict[str, list[Facet]], int]:
        """Facet counts (each ignoring its own filter) and the total; see `_facets` for the caps."""
        if not mode:
            mode, text = self._resolve(params)
            params = replace(params, q=text)
        facets, total, _capped = self._facets(params, mode)
        return facets, total

    def _facets(self, params: SearchParams, mode: str) -> tuple[dict[str, list[Facet]], int, bool]:
        """Facets, total and whether the total is capped, in one statement per distinct filter set.

        Each facet ignores its own filter (the attribute facet and the total use every filter), so
        facets whose filter is not in use share one sample. A sample is at most TOTAL_CAP + 1
        matching rows (`LIMIT` in a materialized CTE): below the cap every count is exact; above
        it the total is reported as TOTAL_CAP and "more", and counts are those of the sample
        (lower bounds, `Facet.capped`). The planner stops reading rows at the limit, so a word
        matching half a million listings costs about what one matching ten thousand does.
        """
        active = {
            "category": bool(params.category), "vendor": bool(params.vendor),
            "price": params.price_min is not None or params.price_max is not None, "in_stock": params.in_stock,
            "rating": params.rating_min is not None,
        }
        groups: dict[str, list[str]] = {}
        for name, skip in (("total", ""), ("attributes", ""), ("category", "category"), ("vendor", "vendor"),
                           ("price", "price"), ("in_stock", "in_stock"), ("rating", "rating")):
            groups.setdefault(skip if active.get(skip) else "", []).append(name)
        rows: dict[str, list[tuple[str, str | None, str | None, int]]] = {}
        sampled: dict[str, bool] = {}
        for skip, names in groups.items():
            result = self._sample_counts(params, skip=skip, mode=mode, names=names)
            n = sum(count for kind, _a, _b, count in result if kind == _FACET_KINDS["total"])
            for name in names:
                rows[name] = [row for row in result if row[0] == _FACET_KINDS[name]]
                sampled[name] = n > TOTAL_CAP
        total = sum(count for _kind, _a, _b, count in rows["total"])
        capped = total > TOTAL_CAP
        facets = {
            "category": self._category_facet(params, rows["category"], sampled["category"]),
            "vendor": self._vendor_facet(params, rows["vendor"], sampled["vendor"]),
            "price": self._price_facet(params, rows["price"], sampled["price"]),
            "in_stock": [Facet(value="1", label=gettext("In stock"), selected=params.in_stock,
                               count=sum(count for *_rest, count in rows["in_stock"]), capped=sampled["in_stock"])],
            "attributes": self._attribute_facet(params, rows["attributes"], sampled["attributes"]),
            "rating": self._rating_facet(params, rows["rating"], sampled["rating"]),
        }
        return facets, min(total, TOTAL_CAP), capped

    def _sample_counts(self, params: SearchParams, *, skip: str, mode: str, names: list[str]
                       ) -> list[tuple[str, str | None, str | None, int]]:
        """(kind, key, value, count) rows over one capped sample: kind is the facet's initial."""
        sample = self._filtered(params, skip=skip, mode=mode, sample=True).order_by().annotate(
            price_converted=_converted_price(params)).values(
            "category_id", "vendor_id", "price_converted", "in_stock", "attributes", "rating",
            "rating_count")[: TOTAL_CAP + 1]
        inner, inner_params = sample.query.sql_with_params()
        parts = ["SELECT 'n', NULL, NULL, count(*) FROM s"]
        extra: list[Any] = []
        if "category" in names:
            parts.append("SELECT 'c', c.path, NULL, count(*) FROM s JOIN marketplace_category c "
                         "ON c.id = s.category_id GROUP BY c.path")
        if "vendor" in names:
            # Top 20 stores; ties by name, as shown.
            parts.append("(SELECT 'v', v.slug, v.name, count(*) FROM s JOIN vendors_vendor v ON v.id = s.vendor_id "
                         "GROUP BY v.slug, v.name ORDER BY count(*) DESC, v.name LIMIT 20)")
        if "in_stock" in names:
            parts.append("SELECT 'i', NULL, NULL, count(*) FROM s WHERE s.in_stock")
        if "price" in names:
            # Buckets are contiguous from 0: the first upper bound the price is under names it.
            scale = 10 ** exponent(params.currency)
            whens = " ".join(["WHEN s.price_converted < %s THEN %s"] * sum(1 for _low, high in PRICE_BUCKETS if high))
            parts.append(f"SELECT 'p', CASE {whens} ELSE %s END, NULL, count(*) FROM s "  # noqa: S608  # nosec B608  # placeholders only
                         "WHERE s.price_converted >= %s GROUP BY 2")
            for low, high in PRICE_BUCKETS:
                if high is not None:
                    extra += [high * scale, f"{low}-{high}"]
                else:
                    extra.append(f"{low}-")
            extra += [PRICE_BUCKETS[0][0] * scale]
        if "rating" in names:
            # The whole stars each reviewed listing reaches (4.5 → 4); `_rating_facet` sums them up.
            parts.append("SELECT 'r', floor(s.rating)::int::text, NULL, count(*) FROM s "
                         "WHERE s.rating_count > 0 GROUP BY 2")
        if "attributes" in names:
            parts.append("(SELECT 'a', kv.key, kv.value, count(*) FROM s CROSS JOIN LATERAL "
                         "jsonb_each_text(s.attributes) kv GROUP BY kv.key, kv.value "
                         "ORDER BY count(*) DESC, kv.key, kv.value LIMIT 40)")
        # The inner query is compiled by Django with its parameters kept separate.
        sql = f"WITH s AS MATERIALIZED ({inner}) " + " UNION ALL ".join(parts)
        with connections[replica_alias()].cursor() as cursor:
            cursor.execute(sql, [*inner_params, *extra])
            return [(kind, key, value, int(count)) for kind, key, value, count in cursor.fetchall()]

    def _category_facet(self, params: SearchParams, rows: list[tuple[str, str | None, str | None, int]],
                        capped: bool) -> list[Facet]:
        """Counts for the children of the selected category (or the roots), over their subtrees."""
        prefix = params.category + "/" if params.category else ""
        depth = params.category.count("/") + 1 if params.category else 0
        counts: dict[str, int] = {}
        for _kind, path, _b, n in rows:
            if not path or not path.startswith(prefix):
                continue
            parts = path.split("/")
            if len(parts) <= depth:
                continue
            child = "/".join(parts[: depth + 1])
            counts[child] = counts.get(child, 0) + n
        names = dict(Category.objects.using(replica_alias()).filter(path__in=counts).values_list("path", "name")) if counts else {}
        facets = [Facet(value=path, label=names.get(path, path), count=n, capped=capped) for path, n in counts.items()]
        return sorted(facets, key=lambda f: (-f.count, f.label))

    def _vendor_facet(self, params: SearchParams, rows: list[tuple[str, str | None, str | None, int]],
                      capped: bool) -> list[Facet]:
        return [Facet(value=slug or "", label=name or "", count=n, selected=slug == params.vendor, capped=capped)
                for _kind, slug, name, n in sorted(rows, key=lambda r: (-r[3], r[2] or ""))]

    def _price_facet(self, params: SearchParams, rows: list[tuple[str, str | None, str | None, int]],
                     capped: bool) -> list[Facet]:
        counts = {key: n for _kind, key, _b, n in rows}
        scale = 10 ** exponent(params.currency)
        price = []
        for low, high in PRICE_BUCKETS:
            key = f"{low}-{high or ''}"
            label = f"{low}–{high}" if high is not None else f"{low}+"
            price.append(Facet(value=key, label=f"{label} {params.currency}", count=counts.get(key, 0), capped=capped,
                               selected=params.price_min == low * scale
                               and params.price_max == (high * scale - 1 if high else None)))
        return price

    def _rating_facet(self, params: SearchParams, rows: list[tuple[str, str | None, str | None, int]],
                      capped: bool) -> list[Facet]:
        """"n stars and up" for n = 4…1: the listings whose rating reaches n, fewest first."""
        reached = {int(key): n for _kind, key, _b, n in rows if key is not None}
        facets = []
        for threshold in RATING_THRESHOLDS:
            count = sum(n for stars, n in reached.items() if stars >= threshold)
            facets.append(Facet(value=str(threshold), count=count, capped=capped,
                                label=gettext("%(n)s stars and up") % {"n": threshold} if threshold > 1
                                else gettext("1 star and up"), selected=params.rating_min == threshold))
        return facets

    def _attribute_facet(self, params: SearchParams, rows: list[tuple[str, str | None, str | None, int]],
                         capped: bool) -> list[Facet]:
        selected = set(params.attributes)
        ordered = sorted(rows, key=lambda r: (-r[3], r[1] or "", r[2] or ""))
        return [Facet(value=f"{key}:{value}", label=f"{key}: {value}", count=n,
                      selected=(key, value) in selected, capped=capped) for _kind, key, value, n in ordered]

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Titles for autocomplete: word prefixes first; then the typed words spell-corrected;
        trigram similarity over a bounded set of titles when neither finds anything."""
        words = _WORD.findall(normalize_query(prefix).lower())[:6]
        if not words:
            return []
        titles = self._prefix_titles(words)
        text = " ".join(words)
        if not titles:
            corrected = _WORD.findall(correct_spelling(text))[:6]
            if corrected != words:
                titles = self._prefix_titles(corrected)
                text = " ".join(corrected)
        if titles:
            # Shortest titles that start with the typed text read best as completions.
            titles.sort(key=lambda title: (not title.lower().startswith(text), len(title), title))
        else:
            similar = list(
                self.visible().filter(title__trigram_word_similar=text)
                .annotate(sim=TrigramWordSimilarity(text, "title")).values_list("title", "sim")[:FUZZY_CANDIDATES]
            )
            titles = [title for title, _sim in sorted(similar, key=lambda row: (-row[1], row[0]))]
        seen: list[str] = []
        for title in titles:
            if title not in seen:
                seen.append(title)
            if len(seen) == limit:
                break
        return seen

    def _prefix_titles(self, words: list[str]) -> list[str]:
        raw = " & ".join(f"{word}:*" for word in words)
        query = SearchQuery(raw, config=SEARCH_CONFIG, search_type="raw")
        return list(self.visible().filter(search_vector=query).values_list("title", flat=True)[:200])


# Result rows feed cards and the list API: these columns (large in real catalogs) are not read there.
def content_language() -> str:
    """The active language when listings may carry text of their own in it (not English, whose
    text is the listing's own), else "" (docs/adr/0089)."""
    language = (translation.get_language() or "en").split("-")[0]
    return "" if language == "en" else language


def _language_query(language: str, text: str) -> SearchQuery:
    return SearchQuery(text, config=search_config_for(language), search_type="websearch")


def _translations(language: str, text: str) -> QuerySet[ListingTranslation]:
    return ListingTranslation.objects.filter(listing=OuterRef("pk"), language=language,
                                             search_vector=_language_query(language, text))


def _text_match(text: str) -> Q:
    """Full-text match: the listing's English vector, or, in another active language, its text in
    that language with that language's stemming ("Schuhe" finds "Schuh" in German)."""
    match = Q(search_vector=SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch"))
    language = content_language()
    if language:
        match |= Q(Exists(_translations(language, text)))
    return match


def listings_localize(listings: list[Listing]) -> list[Listing]:
    """Titles (and descriptions, where loaded) in the active language where the vendor gave one;
    the vendor's own text otherwise. One query, none in English."""
    language = content_language()
    if not language or not listings:
        return listings
    texts = {t.listing_id: t for t in ListingTranslation.objects.using(replica_alias()).filter(
        listing_id__in=[listing.pk for listing in listings], language=language).only(
        "listing_id", "title", "description_html", "description_text")}
    for listing in listings:
        text = texts.get(listing.pk)
        if text is not None:
            listing.title = text.title
            if "description_html" in listing.__dict__:
                listing.description_html, listing.description_text = text.description_html, text.description_text
    return listings


_NOT_ON_CARDS = ("search_vector", "description_html", "description_text", "variants")
_FACET_KINDS = {"total": "n", "category": "c", "vendor": "v", "price": "p", "in_stock": "i", "attributes": "a",
                "rating": "r"}


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _one_edit(word: str) -> set[str]:
    """Every string one deletion, transposition, replacement or insertion away from `word`."""
    letters = set("abcdefghijklmnopqrstuvwxyz") | set(word)
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    edits = {a + b[1:] for a, b in splits if b}
    edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    edits |= {a + c + b[1:] for a, b in splits if b for c in letters}
    edits |= {a + c + b for a, b in splits for c in letters}
    edits.discard(word)
    return edits


def _fold(word: str) -> str:
    """Lower-cased without accents, as the vocabulary stores words (close to `unaccent`)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def correct_spelling(text: str) -> str:
    """`text` with each word that matches nothing replaced by its closest vocabulary word.

    A word is kept when the vocabulary knows it, it is a stop word, or it matches a visible listing
    by itself (descriptions are not in the vocabulary). Otherwise candidates are the vocabulary words within
    trigram similarity (GIN trigram index) and the known words one edit away (transpositions that
    trigrams miss, "sokcs" → "socks"); the closest by edit distance wins (at most 1 for words up to
    4 letters, 2 beyond), then the most similar. Words without a close one, numbers and operators
    are kept as typed. One statement, run only when the typed words find nothing.
    """
    tokens = [m.group() for m in _WORD.finditer(text) if m.group().isalpha() and 3 <= len(m.group()) <= 40]
    words = sorted({_fold(token) for token in tokens[:MAX_CORRECTED]})
    if not words:
        return text
    edits = sorted(set().union(*(_one_edit(word) for word in words)))
    with connections[replica_alias()].cursor() as cursor:
        cursor.execute(
            # Words that are known, stop words (an empty query) or match on their own need no
            # correction; CASE keeps the listing probe (a GIN bitmap) for words not known at all.
            "SELECT 'k', q.w, NULL, NULL FROM unnest(%s::text[]) AS q(w) WHERE CASE "
            "WHEN EXISTS (SELECT 1 FROM marketplace_searchterm t WHERE t.word = q.w) THEN true "
            "WHEN numnode(plainto_tsquery(%s::regconfig, q.w)) = 0 THEN true "
            "ELSE EXISTS (SELECT 1 FROM marketplace_listing l WHERE l.status = 'active' AND l.vendor_visible "
            "AND l.search_vector @@ plainto_tsquery(%s::regconfig, q.w)) END "
            "UNION ALL SELECT 't', q.w, t.word, similarity(t.word, q.w) FROM unnest(%s::text[]) AS q(w) "
            "CROSS JOIN LATERAL (SELECT word FROM marketplace_searchterm WHERE word %% q.w "
            "ORDER BY word <-> q.w, word LIMIT 30) t "
            "UNION ALL SELECT 'v', NULL, word, NULL FROM marketplace_searchterm WHERE word = ANY(%s::text[])",
            [words, SEARCH_CONFIG, SEARCH_CONFIG, words, edits],
        )
        rows = cursor.fetchall()
    matching = {query for kind, query, _word, _sim in rows if kind == "k"}
    known = {word for kind, _query, word, _sim in rows if kind == "v"}
    candidates: dict[str, dict[str, float]] = {word: {} for word in words}
    for kind, query, word, sim in rows:
        if kind == "t":
            candidates[query][word] = float(sim)
    best: dict[str, str] = {}
    for word in words:
        if word in matching:
            continue
        for edit in _one_edit(word) & known:
            candidates[word].setdefault(edit, 0.0)
        allowed = 1 if len(word) <= 4 else 2
        scored = sorted((_edit_distance(word, c), -sim, c) for c, sim in candidates[word].items())
        if scored and scored[0][0] <= allowed:
            best[word] = scored[0][2]
    if not best:
        return text
    return _WORD.sub(lambda m: best.get(_fold(m.group()), m.group()), text)


# The sort key of a listing without a rate in a price sort, low to high: after every real price.
UNCONVERTED_LAST = 10**15


def price_rates_for(params: SearchParams) -> dict[str, Decimal]:
    """The rates to `params.currency` by listing currency, the currency itself always at 1."""
    return {**dict(params.rates), params.currency: Decimal(1)}


def unconverted_currencies(params: SearchParams) -> tuple[str, ...]:
    rates = price_rates_for(params)
    return tuple(code for code in SUPPORTED_CURRENCIES if code not in rates)


def _converted_price(params: SearchParams) -> Case:
    """`price_min` in `params.currency`, as `common.money.convert` rounds it (once, half up:
    PostgreSQL rounds a numeric tie away from zero), NULL where no rate is known."""
    target = params.currency
    whens = []
    for source, rate in sorted(price_rates_for(params).items()):
        if source == target:
            whens.append(When(currency=source, then=F("price_min")))
            continue
        factor = rate * Decimal(10) ** (exponent(target) - exponent(source))
        whens.append(When(currency=source, then=Cast(Round(ExpressionWrapper(
            F("price_min") * Value(factor), output_field=DecimalField())), BigIntegerField())))
    return Case(*whens, default=None, output_field=BigIntegerField())


def price_bounds(*, source: str, target: str, rate: Decimal, low: int | None, high: int | None
                 ) -> tuple[int | None, int | None]:
    """The prices in `source` whose conversion (the cart's `convert`) lies within [low, high] of
    `target`: conversion never decreases with the price, so a first guess is corrected until
    the bounds are exact."""
    def converted(amount: int) -> int:
        return convert(amount, source=source, target=target, rate=rate)

    if source == target:
        return low, high
    factor = rate * Decimal(10) ** (exponent(target) - exponent(source))
    first = last = None
    # Rounding half up: converted ≥ low ⇔ price × factor ≥ low − ½, converted ≤ high ⇔ < high + ½.
    half = Decimal("0.5")
    if low is not None:
        first = max(0, int(((low - half) / factor).to_integral_value(rounding=ROUND_CEILING)))
        while first > 0 and converted(first - 1) >= low:
            first -= 1
        while converted(first) < low:
            first += 1
    if high is not None:
        last = max(-1, int(((high + half) / factor).to_integral_value(rounding=ROUND_FLOOR)))
        while last >= 0 and converted(last + 1) <= high:
            last += 1
        while last >= 0 and converted(last) > high:
            last -= 1
    return first, last


def _price_filter(params: SearchParams) -> Q:
    """Listings whose price converted to `params.currency` lies within the bounds: per currency a
    range of its own prices (index-friendly, exact); currencies without a rate match nothing."""
    match = Q(pk__in=[])
    for source, rate in sorted(price_rates_for(params).items()):
        first, last = price_bounds(source=source, target=params.currency, rate=rate,
                                   low=params.price_min, high=params.price_max)
        condition = Q(currency=source)
        if first is not None:
            condition &= Q(price_min__gte=first)
        if last is not None:
            condition &= Q(price_min__lte=last)
        match |= condition
    return match


backend: SearchBackend = PostgresSearchBackend()


def search(params: SearchParams) -> SearchPage:
    if not params.rates:
        rates = price_rates().rates_to(target=params.currency)
        params = replace(params, rates=tuple(sorted((code, rate) for code, rate in rates.items()
                                                    if code != params.currency)))
    return backend.search(params)


def suggest(prefix: str, limit: int = 8) -> list[str]:
    return backend.suggest(prefix, limit)


def next_page(params: SearchParams, cursor: str) -> SearchParams:
    return replace(params, cursor=cursor)


__all__ = ["TOTAL_CAP", "Facet", "SearchPage", "SearchParams", "correct_spelling", "next_page", "normalize_query",
           "params_from_query", "projection_changed", "search", "suggest"]
