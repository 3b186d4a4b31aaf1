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
from typing import Any, Protocol

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, FloatField, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext

from common.money import MoneyError, exponent, parse_amount
from marketplace.models import SEARCH_CONFIG, Category, Listing

FACET_CACHE_SECONDS = 300
GENERATION_KEY = "marketplace:listings:generation"
MAX_QUERY_CHARS = 200
MAX_PAGE_SIZE = 60
DEFAULT_PAGE_SIZE = 24
SORTS = ("relevance", "price_asc", "price_desc", "newest")
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
    sort: str = "relevance"
    cursor: str = ""
    limit: int = DEFAULT_PAGE_SIZE


@dataclass
class Facet:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class SearchPage:
    params: SearchParams
    results: list[Listing]
    total: int
    next_cursor: str | None
    facets: dict[str, list[Facet]] = field(default_factory=dict)


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
        name, sep, value = normalize_query(raw).partition(":")
        if not sep or not _ATTR_NAME.match(name) or not value:
            errors["attr"] = ["invalid"]
            continue
        attributes.append((name.strip().lower(), value.strip()[:60]))
    cursor = get("cursor")
    if cursor and _cursor_decode(cursor, sort) is None:
        errors["cursor"] = ["invalid"]
        cursor = ""
    params = SearchParams(
        q=get("q"), category=get("category").strip("/")[:1000], vendor=get("vendor")[:40],
        price_min=prices["price_min"], price_max=prices["price_max"], currency=currency,
        in_stock=get("in_stock") in {"1", "true", "on", "yes"}, attributes=tuple(attributes),
        sort=sort, cursor=cursor, limit=max(1, min(limit, MAX_PAGE_SIZE)),
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


class PostgresSearchBackend:
    """Full-text (weighted tsvector, English+unaccent) with trigram word similarity for typos."""

    def visible(self) -> QuerySet[Listing]:
        return Listing.objects.filter(status=Listing.Status.ACTIVE, vendor_visible=True)

    def _text_mode(self, params: SearchParams) -> str:
        """"fts" when the words match as words, else "fuzzy" (trigram similarity for typos).

        Falling back only when full text finds nothing keeps broad queries cheap (no similarity
        computed over thousands of matches) while typos still find their products.
        """
        if not params.q:
            return ""
        query = SearchQuery(params.q, config=SEARCH_CONFIG, search_type="websearch")
        return "fts" if self.visible().filter(search_vector=query).exists() else "fuzzy"

    def _filtered(self, params: SearchParams, *, skip: str = "", mode: str = "") -> QuerySet[Listing]:
        qs = self.visible()
        if params.category and skip != "category":
            qs = qs.filter(Q(category__path=params.category) | Q(category__path__startswith=params.category + "/"))
        if params.vendor and skip != "vendor":
            qs = qs.filter(vendor__slug=params.vendor)
        if skip != "price":
            if params.price_min is not None:
                qs = qs.filter(price_min__gte=params.price_min)
            if params.price_max is not None:
                qs = qs.filter(price_min__lte=params.price_max)
            if params.price_min is not None or params.price_max is not None:
                qs = qs.filter(currency=params.currency)
        if params.in_stock and skip != "in_stock":
            qs = qs.filter(in_stock=True)
        for name, value in params.attributes:
            if skip != f"attr:{name}":
                qs = qs.filter(attributes__contains={name: value})
        if params.q:
            query = SearchQuery(params.q, config=SEARCH_CONFIG, search_type="websearch")
            if (mode or self._text_mode(params)) == "fts":
                qs = qs.filter(search_vector=query)
            else:
                qs = qs.filter(title__trigram_word_similar=params.q)
        return qs

    def _ranked(self, qs: QuerySet[Listing], params: SearchParams, mode: str) -> QuerySet[Listing]:
        if not params.q:
            return qs.annotate(score=Value(0.0, output_field=FloatField()))
        if mode == "fuzzy":
            return qs.annotate(score=Cast(TrigramWordSimilarity(params.q, "title"), FloatField()))
        query = SearchQuery(params.q, config=SEARCH_CONFIG, search_type="websearch")
        return qs.annotate(score=Cast(Coalesce(SearchRank(F("search_vector"), query), Value(0.0)), FloatField()))

    def search(self, params: SearchParams) -> SearchPage:
        mode = self._text_mode(params)
        base = self._filtered(params, mode=mode)
        ranked = self._ranked(base, params, mode).select_related("vendor", "category")
        sort = params.sort if (params.sort != "relevance" or params.q) else "newest"
        key_field, descending = {
            "relevance": ("score", True),
            "price_asc": ("price_min", False),
            "price_desc": ("price_min", True),
            "newest": ("product_created_at", True),
        }[sort]
        decoded = _cursor_decode(params.cursor, params.sort) if params.cursor else None
        if decoded is not None:
            key, pk = decoded
            if sort == "newest":
                from django.utils.dateparse import parse_datetime

                key = parse_datetime(key) if isinstance(key, str) else None
            if key is not None:
                if descending:
                    ranked = ranked.filter(Q(**{f"{key_field}__lt": key}) | Q(**{key_field: key, "id__lt": pk}))
                else:
                    ranked = ranked.filter(Q(**{f"{key_field}__gt": key}) | Q(**{key_field: key, "id__gt": pk}))
        order = [f"-{key_field}", "-id"] if descending else [key_field, "id"]
        rows = list(ranked.order_by(*order)[: params.limit + 1])
        next_cursor = None
        if len(rows) > params.limit:
            rows = rows[: params.limit]
            last = rows[-1]
            value = getattr(last, key_field)
            if sort == "newest":
                value = value.isoformat()
            next_cursor = _cursor_encode(params.sort, value, last.pk)
        facets, total = self._facets_cached(params, mode)
        return SearchPage(params=params, results=rows, total=total, next_cursor=next_cursor, facets=facets)

    def _facets_cached(self, params: SearchParams, mode: str) -> tuple[dict[str, list[Facet]], int]:
        """Facets and total depend on the filters, not the page: cache them per projection generation."""
        key = "search:facets:" + hashlib.sha256(
            repr((projection_generation(), replace(params, cursor="", limit=0, sort=""), mode)).encode()
        ).hexdigest()
        cached = cache.get(key)
        if cached is not None:
            return cached
        result = self.facets(params, mode=mode)
        cache.set(key, result, FACET_CACHE_SECONDS)
        return result

    def facets(self, params: SearchParams, *, mode: str = "") -> tuple[dict[str, list[Facet]], int]:
        """Facet counts (each ignoring its own filter) and the total, in as few queries as can be."""
        mode = mode or self._text_mode(params)
        price, in_stock, total = self._price_stock_total(params, mode)
        return {
            "category": self._category_facet(params, mode),
            "vendor": self._vendor_facet(params, mode),
            "price": price,
            "in_stock": in_stock,
            "attributes": self._attribute_facet(params, mode),
        }, total

    def _category_facet(self, params: SearchParams, mode: str) -> list[Facet]:
        """Counts for the children of the selected category (or the roots), over their subtrees."""
        rows = self._filtered(params, skip="category", mode=mode).values("category__path").annotate(n=Count("id"))
        prefix = params.category + "/" if params.category else ""
        depth = params.category.count("/") + 1 if params.category else 0
        counts: dict[str, int] = {}
        for row in rows:
            path = row["category__path"]
            if not path or not path.startswith(prefix):
                continue
            parts = path.split("/")
            if len(parts) <= depth:
                continue
            child = "/".join(parts[: depth + 1])
            counts[child] = counts.get(child, 0) + row["n"]
        names = dict(Category.objects.filter(path__in=counts).values_list("path", "name"))
        facets = [Facet(value=path, label=names.get(path, path), count=n) for path, n in counts.items()]
        return sorted(facets, key=lambda f: (-f.count, f.label))

    def _vendor_facet(self, params: SearchParams, mode: str) -> list[Facet]:
        rows = (
            self._filtered(params, skip="vendor", mode=mode).values("vendor__slug", "vendor__name")
            .annotate(n=Count("id")).order_by("-n", "vendor__name")[:20]
        )
        return [Facet(value=r["vendor__slug"], label=r["vendor__name"], count=r["n"],
                      selected=r["vendor__slug"] == params.vendor) for r in rows]

    def _price_aggregates(self, params: SearchParams) -> dict[str, Any]:
        scale = 10 ** exponent(params.currency)
        aggregates: dict[str, Any] = {}
        for low, high in PRICE_BUCKETS:
            condition = Q(price_min__gte=low * scale, currency=params.currency)
            if high is not None:
                condition &= Q(price_min__lt=high * scale)
            aggregates[f"{low}-{high or ''}"] = Count("id", filter=condition)
        return aggregates

    def _price_stock_total(self, params: SearchParams, mode: str) -> tuple[list[Facet], list[Facet], int]:
        price_aggregates = self._price_aggregates(params)
        price_filtered = params.price_min is not None or params.price_max is not None
        if not price_filtered and not params.in_stock:
            # All three count the same rows: one query.
            counts = self._filtered(params, mode=mode).aggregate(
                total=Count("id"), in_stock=Count("id", filter=Q(in_stock=True)), **price_aggregates)
            total, stock_count = counts.pop("total"), counts.pop("in_stock")
        else:
            counts = self._filtered(params, skip="price", mode=mode).aggregate(**price_aggregates)
            stock_count = self._filtered(params, skip="in_stock", mode=mode).filter(in_stock=True).count()
            total = self._filtered(params, mode=mode).count()
        scale = 10 ** exponent(params.currency)
        price = []
        for (low, high), (key, n) in zip(PRICE_BUCKETS, counts.items(), strict=True):
            label = f"{low}–{high}" if high is not None else f"{low}+"
            price.append(Facet(value=key, label=f"{label} {params.currency}", count=n,
                               selected=params.price_min == low * scale
                               and params.price_max == (high * scale - 1 if high else None)))
        return price, [Facet(value="1", label=gettext("In stock"), count=stock_count, selected=params.in_stock)], total

    def _attribute_facet(self, params: SearchParams, mode: str) -> list[Facet]:
        inner, inner_params = self._filtered(params, mode=mode).values("id").query.sql_with_params()
        # The inner query is compiled by Django with its parameters kept separate.
        sql = (
            "SELECT kv.key, kv.value, count(*) FROM marketplace_listing l "  # noqa: S608
            "CROSS JOIN LATERAL jsonb_each_text(l.attributes) kv "
            f"WHERE l.id IN ({inner}) GROUP BY kv.key, kv.value ORDER BY count(*) DESC, kv.key, kv.value LIMIT 40"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, inner_params)
            rows = cursor.fetchall()
        selected = set(params.attributes)
        return [Facet(value=f"{key}:{value}", label=f"{key}: {value}", count=n,
                      selected=(key, value) in selected) for key, value, n in rows]

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Titles for autocomplete: word prefixes first; trigram similarity when nothing matches."""
        words = _WORD.findall(normalize_query(prefix).lower())[:6]
        if not words:
            return []
        raw = " & ".join(f"{word}:*" for word in words)
        query = SearchQuery(raw, config=SEARCH_CONFIG, search_type="raw")
        text = " ".join(words)
        titles = list(self.visible().filter(search_vector=query).values_list("title", flat=True)[:200])
        if not titles:
            titles = list(
                self.visible().filter(title__trigram_word_similar=text)
                .annotate(sim=TrigramWordSimilarity(text, "title")).order_by("-sim", "title")
                .values_list("title", flat=True)[: limit * 3]
            )
        else:
            # Shortest titles that start with the typed text read best as completions.
            titles.sort(key=lambda title: (not title.lower().startswith(text), len(title), title))
        seen: list[str] = []
        for title in titles:
            if title not in seen:
                seen.append(title)
            if len(seen) == limit:
                break
        return seen


backend: SearchBackend = PostgresSearchBackend()


def search(params: SearchParams) -> SearchPage:
    return backend.search(params)


def suggest(prefix: str, limit: int = 8) -> list[str]:
    return backend.suggest(prefix, limit)


def next_page(params: SearchParams, cursor: str) -> SearchParams:
    return replace(params, cursor=cursor)


__all__ = ["Facet", "SearchPage", "SearchParams", "next_page", "normalize_query", "params_from_query",
           "projection_changed", "search", "suggest"]
