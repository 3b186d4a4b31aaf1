"""Recommendations (ADR 0095): offline hit rate@k of "frequently bought together" against a
popularity baseline, on held-out orders of a synthetic shop, and the serving lookup's latency.

The data set: products in categories with a long-tailed popularity (Zipf), "bundles" of items
bought together (a tent with its stove and mug, inside a category or across two), and buyers
with one to several orders, each order either part of one of the buyer's interests or a popular
item, often both. Each buyer's last order is held out; the co-purchase ranking (the batch's own
ordering, `analytics.recommendations.copurchase_ranking`, tested equal to the SQL) learns from the
rest. A hit: one of the k recommendations is in the held-out order.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

from bench.common import BenchResult, summary_ms

SEED = 26
FULL = {"products": 5_000, "categories": 50, "bundles": 800, "buyers": 20_000}
QUICK = {"products": 800, "categories": 16, "bundles": 120, "buyers": 2_000}
K_VALUES = (5, 10)


def synthetic_baskets(*, products: int, categories: int, bundles: int, buyers: int,
                      seed: int = SEED) -> list[tuple[int, int, frozenset[int]]]:
    rng = random.Random(seed)
    ids = list(range(1, products + 1))
    category_of = {item: rng.randrange(categories) for item in ids}
    by_category: dict[int, list[int]] = {}
    for item, category in category_of.items():
        by_category.setdefault(category, []).append(item)
    popular = rng.sample(ids, len(ids))
    weights = [1.0 / (rank ** 0.9) for rank in range(1, len(popular) + 1)]
    groups: list[list[int]] = []
    for _ in range(bundles):
        anchor = rng.choices(popular, weights)[0]
        # Complements mostly from the anchor's category, sometimes from another one.
        pool = by_category[category_of[anchor]] if rng.random() < 0.7 else rng.choice(list(by_category.values()))
        extras = rng.sample(pool, min(len(pool), rng.randint(2, 4)))
        groups.append(sorted({anchor, *extras}))
    baskets: list[tuple[int, int, frozenset[int]]] = []
    seq = 0
    for buyer in range(1, buyers + 1):
        interests = rng.sample(groups, rng.randint(1, 2))
        orders = 1 + min(int(rng.expovariate(1 / 1.6)), 8)
        for _ in range(orders):
            items: set[int] = set()
            if rng.random() < 0.65:
                group = rng.choice(interests)
                items |= set(rng.sample(group, rng.randint(1, min(3, len(group)))))
            if not items or rng.random() < 0.4:
                items.add(rng.choices(popular, weights)[0])
            seq += 1
            baskets.append((buyer, seq, frozenset(items)))
    return baskets


def _lookup_latency(*, rounds: int) -> dict[str, Any]:
    """The product page's bought-together read against a filled table: listings of one bench
    vendor, 12 pairs each (rolled back afterwards)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from marketplace.models import Listing, ListingCoPurchase
    from marketplace.recommendations import bought_together, bought_together_query
    from vendors.models import Vendor

    samples: list[float] = []
    server: list[float] = []
    scans: set[str] = set()
    with transaction.atomic():
        vendor = Vendor.objects.create(slug="v-recs-bench", name="Recs bench", status=Vendor.Status.ACTIVE)
        now = timezone.now()
        listings = Listing.objects.bulk_create([
            Listing(vendor=vendor, product_id=n, version=1, status=Listing.Status.ACTIVE, title=f"Item {n}",
                    handle=f"item-{n}", vendor_name=vendor.name, currency="EUR", price_min=1000, price_max=1000,
                    in_stock=True, stock_total=5, product_created_at=now)
            for n in range(2_000)])
        rng = random.Random(SEED)
        pairs = []
        for listing in listings:
            others = rng.sample(listings, 13)
            others = [o for o in others if o.pk != listing.pk][:12]
            pairs += [ListingCoPurchase(listing=listing, other=o, buyers=20 - rank, rank=rank)
                      for rank, o in enumerate(others, start=1)]
        ListingCoPurchase.objects.bulk_create(pairs, batch_size=5_000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE marketplace_listingcopurchase")
        for n in range(rounds):
            started = time.perf_counter()
            found = bought_together(listing_id=listings[n % len(listings)].pk, limit=4)
            samples.append(time.perf_counter() - started)
            assert len(found) == 4
        # The server's own execution time of the same read (no client, no scheduling of this
        # process): what the index gives, apart from how loaded the machine is.
        for n in range(min(rounds, 200)):
            plan = json.loads(bought_together_query(listing_id=listings[n % len(listings)].pk, limit=4)
                              .explain(format="json", analyze=True))
            server.append(plan[0]["Execution Time"] / 1000)
            scans.add(_scan_of(plan[0]["Plan"]))
        transaction.set_rollback(True)  # nothing stays in the bench database
    return {"client": summary_ms(samples), "server": summary_ms(server), "scans": sorted(scans)}


def _scan_of(node: dict[str, Any]) -> str:
    """The plan's scans of the pairs table, e.g. "Index Scan using copurchase_rank_unique"."""
    found = []
    if node.get("Relation Name") == "marketplace_listingcopurchase":
        found.append(f"{node['Node Type']} using {node.get('Index Name', '-')}")
    for child in node.get("Plans", []):
        found.append(_scan_of(child))
    return ", ".join(x for x in found if x)


def run(*, quick: bool = False) -> BenchResult:
    from analytics.recommendations import holdout_evaluate

    size = QUICK if quick else FULL
    baskets = synthetic_baskets(**size)
    result = BenchResult(benchmark="Recommendations: hit rate on held-out orders",
                         command="python -m bench --only recommendations",
                         size={**size, "orders": len(baskets)})
    for k in K_VALUES:
        started = time.perf_counter()
        outcome = holdout_evaluate(baskets, k=k)
        seconds = time.perf_counter() - started
        result.add(f"hit rate@{k}, frequently bought together", round(outcome.copurchase_hit_rate, 4), "ratio",
                   target=f"> popularity ({outcome.popularity_hit_rate:.4f})",
                   met=outcome.copurchase_hit_rate > outcome.popularity_hit_rate,
                   note=f"{outcome.buyers} buyers with a held-out last order")
        result.add(f"hit rate@{k}, popularity baseline", round(outcome.popularity_hit_rate, 4), "ratio")
        result.details[f"k{k}"] = {"buyers": outcome.buyers, "seconds": round(seconds, 2),
                                   "copurchase": outcome.copurchase_hit_rate, "popularity": outcome.popularity_hit_rate}
    latency = _lookup_latency(rounds=200 if quick else 2_000)
    result.add("bought-together lookup p95, in the database", latency["server"]["p95_ms"], "ms", target="< 5 ms",
               met=latency["server"]["p95_ms"] < 5, note=", ".join(latency["scans"]))
    result.add("bought-together lookup p95, from Django", latency["client"]["p95_ms"], "ms",
               note="round trip of this niced process; mostly waiting for a CPU on a loaded machine")
    result.details["lookup"] = latency
    return result

