"""Search at marketplace scale: `python -m bench --only search [--quick]`, or standalone
`python bench/search_bench.py [--rows N] [--vendors N] [--keep]`.

Creates listings by COPY directly into `marketplace.Listing` (many synthetic vendors without
schemas, a two-level category tree), then times the real search module (`marketplace.search`)
for each kind of query and, in the same run, a naive `ILIKE` baseline for the same intents.
Facet caching is defeated before every timed search (`projection_changed()`), so figures are
cold-facet worst cases. The slowest query of each kind is kept with its EXPLAIN ANALYZE.
Rows are removed at the end unless --keep is given.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import replica_lag
from bench.common import BenchResult, peak_rss_mb, summary_ms

PREFIX = "sbench"
COMMON = ["trail", "backpack", "merino", "socks", "hiking", "pole", "skillet", "knife", "espresso", "cup",
          "lamp", "stapler", "jacket", "wool", "cotton", "linen", "steel", "iron", "ceramic", "bamboo",
          "leather", "canvas", "waterproof", "light", "heavy", "small", "large", "red", "green", "blue",
          "black", "white", "grey", "travel", "kitchen", "office", "garden", "desk", "chair", "table",
          "shelf", "mug", "bowl"]
SYLLABLES = ["ka", "ro", "ven", "tal", "mir", "zu", "pel", "dor", "qui", "sen", "lox", "bra", "fen", "gil",
             "tre", "nov", "har", "wim"]
MATERIALS = ["wool", "steel", "cotton", "iron", "bamboo", "leather"]
COLOURS = ["red", "green", "blue", "black", "white", "grey"]
TARGETS = {"selective": 50.0, "ranked common": 150.0, "autocomplete": 100.0, "facets (filtered)": 100.0,
           "facets (filtered, no words)": 100.0, "facets (filtered, words)": 100.0}


def _brands(count: int = 2000) -> list[str]:
    rng = random.Random(7)
    seen: set[str] = set()
    while len(seen) < count:
        seen.add("".join(rng.sample(SYLLABLES, 3)))
    return sorted(seen)


BRANDS = _brands()


def _cleanup() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM marketplace_listing WHERE vendor_id IN "
            "(SELECT id FROM vendors_vendor WHERE slug LIKE %s)", [f"{PREFIX}%"])
        cursor.execute("DELETE FROM vendors_vendor WHERE slug LIKE %s", [f"{PREFIX}%"])
        cursor.execute("DELETE FROM marketplace_category WHERE path LIKE %s", [f"{PREFIX}/%"])
        cursor.execute("DELETE FROM marketplace_category WHERE path = %s", [PREFIX])


def seed(*, rows: int, vendors: int) -> dict[str, Any]:
    """Vendors (no schemas: listings only reference them) and `rows` listings, by COPY."""
    from django.db import connection, transaction
    from django.utils import timezone

    from marketplace.models import Category
    from vendors.models import Vendor

    _cleanup()
    started = time.perf_counter()
    with transaction.atomic():
        root = Category.objects.create(path=PREFIX, name="Bench", slug=PREFIX)
        tops = [Category.objects.create(path=f"{PREFIX}/t{n}", name=f"Top {n}", slug=f"t{n}", parent=root,
                                        depth=1) for n in range(5)]
        leaves = [Category.objects.create(path=f"{top.path}/l{n}", name=f"Leaf {n}", slug=f"l{n}", parent=top,
                                          depth=2) for top in tops for n in range(8)]
        Vendor.objects.bulk_create([
            Vendor(slug=f"{PREFIX}{n:05d}", name=f"Bench Vendor {n}", status="active", charges_enabled=True)
            for n in range(vendors)
        ], batch_size=1000)
        vendor_ids = list(Vendor.objects.filter(slug__startswith=PREFIX).order_by("id").values_list("id", flat=True))
    rng = random.Random(42)
    now = timezone.now().isoformat()
    columns = ("vendor_id, product_id, version, status, vendor_visible, title, handle, description_html, "
               "description_text, vendor_name, category_id, category_text, currency, price_min, price_max, "
               "stock_total, in_stock, variants, option_types, attributes, image_url, thumbnail_url, "
               "product_created_at, updated_at")
    connection.ensure_connection()
    raw = connection.connection
    chunk = 50_000
    with raw.cursor() as cursor:
        for offset in range(0, rows, chunk):
            buffer = io.StringIO()
            for n in range(offset, min(rows, offset + chunk)):
                vendor_index = n % vendors
                leaf = leaves[n % len(leaves)]
                # Zipf-ish: the first common words are much more frequent than the last ones.
                common = [COMMON[min(len(COMMON) - 1, int(rng.paretovariate(1.2)) - 1)], rng.choice(COMMON)]
                brand = BRANDS[rng.randrange(len(BRANDS))]
                title = f"{brand.capitalize()} {common[0]} {common[1]} {rng.choice(COLOURS)} {n}"
                price = rng.randint(100, 50_000)
                stock = rng.choice([0, 0, 1, 5, 20])
                description = " ".join(rng.sample(COMMON, 10))
                attributes = json.dumps({"material": rng.choice(MATERIALS), "colour": rng.choice(COLOURS)})
                buffer.write("\t".join([
                    str(vendor_ids[vendor_index]), str(n + 1), "1", "active", "t", title, f"b-{n}",
                    "", description, f"Bench Vendor {vendor_index}", str(leaf.pk), f"Bench {leaf.name}",
                    "EUR", str(price), str(price), str(stock), "t" if stock else "f", "[]", "[]", attributes,
                    "", "", now, now,
                ]) + "\n")
            buffer.seek(0)
            with cursor.copy(f"COPY marketplace_listing ({columns}) FROM STDIN") as copy:
                while data := buffer.read(1 << 20):
                    copy.write(data)
        if not raw.autocommit:
            raw.commit()
        # VACUUM too: a previous run's deleted rows would otherwise stay in the GIN index and the
        # heap (bitmap scans visiting dead pages), making figures depend on what ran before.
        cursor.execute("VACUUM (ANALYZE) marketplace_listing")
    return {"seconds": time.perf_counter() - started, "leaves": [leaf.path for leaf in leaves],
            "tops": [top.path for top in tops]}


def _reused(rows: int) -> dict[str, Any] | None:
    """The rows a kept earlier seed left (`--keep`, BENCH_SEARCH_REUSE=1), when there are as many."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM marketplace_listing WHERE vendor_id IN "
                       "(SELECT id FROM vendors_vendor WHERE slug LIKE %s)", [f"{PREFIX}%"])
        if cursor.fetchone()[0] != rows:
            return None
        cursor.execute("SELECT path, depth FROM marketplace_category WHERE path LIKE %s ORDER BY id", [f"{PREFIX}/%"])
        paths = cursor.fetchall()
    return {"seconds": 0.0, "leaves": [p for p, d in paths if d == 2], "tops": [p for p, d in paths if d == 1]}


def _explain(sql: str) -> str:
    from django.db import connections

    from common.databases import replica_alias

    with connections[replica_alias()].cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        lines = [row[0] for row in cursor.fetchall()]
    return "\n".join(lines[:40])


# `...`: the callers' lambdas bind loop variables as default arguments (`lambda q=q: ...`), which
# mypy cannot infer against `Callable[[], Any]`; `call` is always called with no arguments.
def _time_search(call: Callable[..., Any], *, cold: bool, out: list[Any] | None = None
                 ) -> tuple[float, list[dict[str, Any]]]:
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    from common.databases import replica_alias
    from marketplace import search

    if cold:
        search.projection_changed()
    # The search reads go to the replica when one is configured (ADR 0062).
    with CaptureQueriesContext(connections[replica_alias()]) as ctx:
        started = time.perf_counter()
        value = call()
        elapsed = time.perf_counter() - started
    if out is not None:
        out.append(value)
    return elapsed, list(ctx.captured_queries)


def _time_sql(sql: str, params: list[Any]) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(sql, params)
        cursor.fetchall()
        return time.perf_counter() - started


ILIKE_SELECT = ("SELECT id, title, price_min FROM marketplace_listing WHERE status = 'active' "
                "AND vendor_visible AND ")


def measure(*, repeat: int, seeded: dict[str, Any]) -> tuple[dict[str, list[float]], dict[str, list[float]],
                                                                dict[str, Any]]:
    """Samples (seconds) per kind for the search module and the ILIKE baseline, and slow queries."""
    from marketplace import search

    rng = random.Random(3)
    brands = rng.sample(BRANDS, 12)
    facet_kinds = ("facets (filtered, no words)", "facets (filtered, no words), before ADR 0064",
                   "facets (filtered, words)", "facets (filtered, words), before ADR 0064")
    ours: dict[str, list[float]] = {k: [] for k in (
        "selective", "ranked common", "typo", "autocomplete", "facets (filtered)", *facet_kinds, "deep page")}
    naive: dict[str, list[float]] = {k: [] for k in ("selective", "ranked common", "typo", "autocomplete",
                                                      "facets (filtered)", *facet_kinds, "deep page")}
    slowest: dict[str, tuple[float, list[dict[str, Any]]]] = {}

    def keep(kind: str, elapsed: float, queries: list[dict[str, Any]]) -> None:
        ours[kind].append(elapsed)
        if elapsed > slowest.get(kind, (0.0, []))[0]:
            slowest[kind] = (elapsed, queries)

    leaf = seeded["leaves"][3]
    top = seeded["tops"][1]
    for round_ in range(repeat):
        for brand in brands[:6]:
            q = f"{brand} {COMMON[round_ % 5]}" if round_ % 2 else brand
            keep("selective", *_time_search(lambda q=q: search.search(search.SearchParams(q=q)), cold=True))
            words = q.split()
            naive["selective"].append(_time_sql(
                ILIKE_SELECT + " AND ".join(["title ILIKE %s"] * len(words)) + " ORDER BY id DESC LIMIT 21",
                [f"%{w}%" for w in words]))
        for q in ("backpack", "trail", "merino socks", "hiking pole", "waterproof jacket"):
            keep("ranked common", *_time_search(lambda q=q: search.search(search.SearchParams(q=q)), cold=True))
            words = q.split()
            naive["ranked common"].append(_time_sql(
                ILIKE_SELECT + " AND ".join(["(title ILIKE %s OR description_text ILIKE %s)"] * len(words))
                + " ORDER BY (title ILIKE %s) DESC, id DESC LIMIT 21",
                [p for w in words for p in (f"%{w}%", f"%{w}%")] + [f"%{q}%"]))
        for q in ("backpak", "merino sokcs", "skilet", "espreso", "stapelr", "leathr"):
            keep("typo", *_time_search(lambda q=q: search.search(search.SearchParams(q=q)), cold=True))
            naive["typo"].append(_time_sql(ILIKE_SELECT + "title ILIKE %s ORDER BY id DESC LIMIT 21",
                                           [f"%{q}%"]))
        for prefix in ("back", "meri", "skil", "lam", brands[round_ % 12][:4], "wat"):
            keep("autocomplete", *_time_search(lambda p=prefix: search.suggest(p), cold=False))
            naive["autocomplete"].append(_time_sql(
                "SELECT DISTINCT title FROM marketplace_listing WHERE status = 'active' AND vendor_visible "
                "AND title ILIKE %s LIMIT 8", [f"%{prefix}%"]))
        for category, q in ((leaf, ""), (top, "wool"), (top, "")):
            params = search.SearchParams(q=q, category=category, price_min=1000, price_max=20_000,
                                         in_stock=True, attributes=(("material", "wool"),), sort="price_asc")
            backend = cast(search.PostgresSearchBackend, search.backend)
            kind = "facets (filtered, words)" if q else "facets (filtered, no words)"
            keep(kind, *_time_search(lambda p=params, b=backend: b.facets(p), cold=True))
            with _facets_as_before():
                before = _time_search(lambda p=params, b=backend: b.facets(p), cold=True)[0]
            ours[f"{kind}, before ADR 0064"].append(before)
            keep("facets (filtered)", *_time_search(lambda p=params, b=backend: b.facets(p), cold=True))
            naive["facets (filtered)"].append(_time_sql(
                "SELECT c.path, count(*) FROM marketplace_listing l JOIN marketplace_category c "
                "ON c.id = l.category_id WHERE l.status = 'active' AND l.vendor_visible AND c.path LIKE %s "
                "AND l.price_min BETWEEN 1000 AND 20000 AND l.in_stock AND l.attributes->>'material' = 'wool' "
                "AND (l.title ILIKE %s OR l.description_text ILIKE %s) GROUP BY c.path",
                [category + "%", f"%{q}%", f"%{q}%"]))
        # Deep pages: keyset pagination, 40 pages of 24 by price; baseline is OFFSET for the same page.
        params = search.SearchParams(sort="price_asc", limit=24)
        for page_number in range(40):
            pages: list[Any] = []
            elapsed, queries = _time_search(lambda p=params: search.search(p), cold=False, out=pages)
            if page_number >= 30:
                keep("deep page", elapsed, queries)
            result = pages[0]
            if not result.next_cursor:
                break
            params = search.next_page(params, result.next_cursor)
        naive["deep page"].append(_time_sql(ILIKE_SELECT + "TRUE ORDER BY price_min, id LIMIT 24 OFFSET %s",
                                            [24 * 39]))
        naive["deep page"].append(_time_sql(ILIKE_SELECT + "TRUE ORDER BY price_min, id LIMIT 24 OFFSET %s",
                                            [24 * 2000]))
    return ours, naive, slowest


@contextmanager
def _facets_as_before() -> Iterator[None]:
    """The facet samples as they were before ADR 0064, on the same rows: without the covering facet
    index (dropped inside a transaction that is rolled back) and with the indexable attribute filter."""
    from django.db import connection, transaction

    from marketplace.search import PostgresSearchBackend

    real = PostgresSearchBackend._filtered

    def indexable(self: Any, params: Any, *, skip: str = "", mode: str = "", sample: bool = False) -> Any:
        return real(self, params, skip=skip, mode=mode)

    class _Undo(Exception):
        pass

    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DROP INDEX listing_facet_cover")
            PostgresSearchBackend._filtered = indexable  # type: ignore[method-assign]
            try:
                yield
            finally:
                PostgresSearchBackend._filtered = real  # type: ignore[method-assign]
            raise _Undo
    except _Undo:
        pass


def _slowest_plan(queries: list[dict[str, Any]]) -> str:
    query = max(queries, key=lambda q: float(q.get("time") or 0))
    sql = query["sql"]
    try:
        return f"slowest statement ({query['time']} s):\n{sql[:1500]}\n\n{_explain(sql)}"
    except Exception as exc:  # noqa: BLE001 - a plan is a nice-to-have in the report
        return f"{sql[:1500]}\n(EXPLAIN failed: {exc})"


def run(*, quick: bool, rows: int | None = None, vendors: int | None = None, keep: bool = False) -> BenchResult:
    rows = rows or (20_000 if quick else int(os.environ.get("BENCH_SEARCH_ROWS", "1000000")))
    vendors = vendors or (100 if quick else int(os.environ.get("BENCH_SEARCH_VENDORS", "1000")))
    repeat = 3 if quick else int(os.environ.get("BENCH_SEARCH_REPEAT", "5"))
    scaled = not quick and (rows < 1_000_000 or vendors < 1_000)
    result = BenchResult(
        benchmark="Search: listings at scale",
        command=(("" if quick or not scaled else
                  f"BENCH_SEARCH_ROWS={rows} BENCH_SEARCH_VENDORS={vendors} BENCH_SEARCH_REPEAT={repeat} ")
                 + f"python -m bench --only search{' --quick' if quick else ''}"),
        size={"listings": rows, "vendors": vendors, "repeat": repeat,
              **({"scaled_down_from": "1,000,000 listings / 1,000 vendors"} if scaled else {})},
    )
    seeded = _reused(rows) if os.environ.get("BENCH_SEARCH_REUSE") else None
    if seeded is None:
        seeded = seed(rows=rows, vendors=vendors)
        result.add("seed by COPY (incl. GIN/trigram index maintenance)", round(rows / seeded["seconds"]), "rows/s")
    else:
        result.details.setdefault("notes_pre", []).append("rows of an earlier seed reused (BENCH_SEARCH_REUSE=1)")
    replica_lag.after_bulk_load(result)
    try:
        ours, naive, slowest = measure(repeat=repeat, seeded=seeded)
        profiles: dict[str, str] = {}
        for kind, samples in ours.items():
            stats = summary_ms(samples)
            base = summary_ms(naive[kind])
            limit = TARGETS.get(kind)
            met = None if limit is None else stats["p95_ms"] <= limit
            note = ""
            if met is False:
                note = "below target; slowest statement and its EXPLAIN ANALYZE are below the notes"
                profiles[f"EXPLAIN ANALYZE: slowest {kind} search"] = _slowest_plan(slowest[kind][1])
            result.add(f"{kind} p50", stats["p50_ms"], "ms")
            result.add(f"{kind} p95", stats["p95_ms"], "ms", target=f"≤ {limit:g} ms" if limit else "", met=met,
                       note=note)
            result.add(f"{kind} p99", stats["p99_ms"], "ms")
            if naive[kind]:
                result.add(f"{kind} ILIKE baseline p95", base["p95_ms"], "ms")
        replica_lag.lag(result)
        result.add("peak RSS (bench process)", peak_rss_mb(), "MB")
        result.details["profiles"] = profiles
        result.details["notes"] = [
            "Times are for the search module's public calls (`search.search`, `search.suggest`, "
            "`backend.facets`), including every query they make; facets are cold (cache generation "
            "bumped before each timed search), deep pages are keyset pages 31-40 (warm facets).",
            "selective: a brand word (~1 in 2,000 listings), alone or with a common word; ranked common: "
            "Zipf-frequent words ranked top-20; typo: misspelled words (trigram fallback); "
            "autocomplete: `suggest()` on 3-4 letter prefixes.",
            "The ILIKE baseline answers the same intents with `%word%` scans (no ranking, OFFSET pages).",
            "facets (filtered): a category (leaf, or a top one with 8 leaves), a price range, in stock and "
            "`material: wool`, without words (2 of 3 cases) or with `wool`; split by words below. "
            "`before ADR 0064`: the same calls in the same run without the covering facet index (dropped "
            "in a rolled-back transaction) and with the indexable attribute filter.",
            f"Load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2-core machine "
            "shared with other engineers' test runs: measured under load).",
            *result.details.pop("notes_pre", []),
        ]
    finally:
        if not keep and not os.environ.get("BENCH_SEARCH_REUSE"):
            _cleanup()
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--vendors", type=int, default=100)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    result = run(quick=False, rows=args.rows, vendors=args.vendors, keep=args.keep)
    print(f"{'figure':<48} {'value':>10} unit  target")
    for fig in result.figures:
        print(f"{fig.name:<48} {fig.value!s:>10} {fig.unit:<5} {fig.target} "
              f"{'' if fig.met is None else ('met' if fig.met else 'NOT MET')}")
    for title, text in result.details.get("profiles", {}).items():
        print(f"\n== {title}\n{text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
