"""The recommendations batch (ADR 0095): co-purchases and buyers' picks from paid orders into the
marketplace's tables, and the offline evaluation of co-purchases against a popularity baseline.

It lives in analytics because it is a rollup of orders (which sit above the marketplace); the
marketplace only reads the tables it fills.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from marketplace import recommendations
from orders.models import Order

# Orders whose items the buyer got (not refunded or cancelled): their lines are "bought together".
PAID_STATUSES = [Order.Status.PAID, Order.Status.PARTIALLY_FULFILLED, Order.Status.FULFILLED]
# Orders older than this no longer say what is bought together.
WINDOW_DAYS = 365
# Recently viewed listings of a buyer that seed their picks.
PICK_SEED_VIEWS = 10

# One row per (order, listing) of the paid orders in the window, mapped to today's listing.
_BASKETS = """
    SELECT DISTINCT o.buyer_id, ol.order_id, l.id AS listing_id
    FROM orders_orderline ol
    JOIN orders_order o ON o.id = ol.order_id
    JOIN marketplace_listing l ON l.vendor_id = ol.vendor_id AND l.product_id = ol.product_id
    WHERE o.status = ANY(%(paid)s) AND o.paid_at >= %(since)s
"""

_COPURCHASES = f"""
    INSERT INTO marketplace_listingcopurchase (listing_id, other_id, buyers, rank)
    WITH basket AS ({_BASKETS}),
    pair AS (
        SELECT a.listing_id, b.listing_id AS other_id, count(DISTINCT a.buyer_id) AS buyers
        FROM basket a JOIN basket b ON b.order_id = a.order_id AND b.listing_id <> a.listing_id
        GROUP BY 1, 2
    ),
    popularity AS (SELECT listing_id, count(DISTINCT buyer_id) AS buyers FROM basket GROUP BY 1),
    ranked AS (
        SELECT pair.listing_id, pair.other_id, pair.buyers,
               row_number() OVER (PARTITION BY pair.listing_id
                                  ORDER BY pair.buyers DESC, pop.buyers DESC, pair.other_id) AS rank
        FROM pair
        JOIN popularity pop ON pop.listing_id = pair.other_id
        JOIN marketplace_listing o ON o.id = pair.other_id
        JOIN vendors_vendor ov ON ov.id = o.vendor_id
        WHERE o.status = 'active' AND o.vendor_visible AND o.in_stock AND ov.status = 'active'
    )
    SELECT listing_id, other_id, buyers, rank FROM ranked WHERE rank <= %(keep)s
"""  # noqa: S608  # nosec B608  # constant fragments only, values are parameters

# Candidates: bought with what the buyer bought (weight 2 / rank), like or bought with what they
# viewed last (1 / rank); never what they bought already.
_PICKS = f"""
    INSERT INTO marketplace_buyerpick (user_id, listing_id, score, rank)
    WITH bought AS (SELECT DISTINCT buyer_id AS user_id, listing_id FROM ({_BASKETS}) b),
    seen AS (
        SELECT user_id, listing_id FROM (
            SELECT user_id, listing_id, row_number() OVER (PARTITION BY user_id ORDER BY viewed_at DESC, id DESC) AS n
            FROM marketplace_listingview) v
        WHERE n <= %(seed_views)s
    ),
    candidate AS (
        SELECT b.user_id, c.other_id AS listing_id, 2.0 / c.rank AS score
        FROM bought b JOIN marketplace_listingcopurchase c ON c.listing_id = b.listing_id
        UNION ALL
        SELECT s.user_id, c.other_id, 1.0 / c.rank
        FROM seen s JOIN marketplace_listingcopurchase c ON c.listing_id = s.listing_id
        UNION ALL
        SELECT s.user_id, m.other_id, 1.0 / m.rank
        FROM seen s JOIN marketplace_listingsimilar m ON m.listing_id = s.listing_id
    ),
    scored AS (
        SELECT c.user_id, c.listing_id, sum(c.score) AS score FROM candidate c
        WHERE NOT EXISTS (SELECT 1 FROM bought b WHERE b.user_id = c.user_id AND b.listing_id = c.listing_id)
        GROUP BY 1, 2
    )
    SELECT user_id, listing_id, score, rank FROM (
        SELECT user_id, listing_id, score,
               row_number() OVER (PARTITION BY user_id ORDER BY score DESC, listing_id) AS rank
        FROM scored) r
    WHERE rank <= %(keep)s
"""  # noqa: S608  # nosec B608  # constant fragments only, values are parameters


@dataclass(frozen=True)
class RefreshCounts:
    similar: int
    copurchases: int
    picks: int


def _params(keep: int) -> dict[str, Any]:
    return {"paid": [str(s) for s in PAID_STATUSES], "since": timezone.now() - timedelta(days=WINDOW_DAYS),
            "keep": keep, "seed_views": PICK_SEED_VIEWS}


def copurchases_refresh(*, keep: int = recommendations.KEEP) -> int:
    """Rebuild `ListingCoPurchase` from the paid orders of the window (one statement, replaced in
    one transaction: pages read the old rows until it commits)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM marketplace_listingcopurchase")
        cursor.execute(_COPURCHASES, _params(keep))
        return int(cursor.rowcount)


def buyer_picks_refresh(*, keep: int = recommendations.KEEP) -> int:
    """Rebuild `BuyerPick` from the buyers' paid orders and recent views (after the other two)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM marketplace_buyerpick")
        cursor.execute(_PICKS, _params(keep))
        return int(cursor.rowcount)


def recommendations_refresh() -> RefreshCounts:
    """The whole batch, in the order the tables depend on each other."""
    similar = recommendations.similar_refresh()
    copurchases = copurchases_refresh()
    return RefreshCounts(similar=similar, copurchases=copurchases, picks=buyer_picks_refresh())


# --- offline evaluation (bench/recommendations_bench.py) ---------------------------------------
# The same co-purchase ranking as `_COPURCHASES`, over baskets in memory: a test holds the two to
# the same answer on one data set, so what the benchmark measures is what the batch serves.

Basket = tuple[int, int, frozenset[int]]  # (buyer, order sequence number, listing ids)


def copurchase_ranking(baskets: Iterable[Basket], *, keep: int = recommendations.KEEP) -> dict[int, list[int]]:
    """listing → the listings bought with it, strongest first (distinct buyers, then popularity, then id)."""
    pair_buyers: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    item_buyers: dict[int, set[int]] = defaultdict(set)
    for buyer, _seq, items in baskets:
        for item in items:
            item_buyers[item].add(buyer)
            for other in items:
                if other != item:
                    pair_buyers[item][other].add(buyer)
    return {item: sorted(others, key=lambda o: (-len(others[o]), -len(item_buyers[o]), o))[:keep]
            for item, others in pair_buyers.items()}


def popularity_ranking(baskets: Iterable[Basket]) -> list[int]:
    """Every listing, the most buyers first (ties by id)."""
    buyers: dict[int, set[int]] = defaultdict(set)
    for buyer, _seq, items in baskets:
        for item in items:
            buyers[item].add(buyer)
    return sorted(buyers, key=lambda item: (-len(buyers[item]), item))


def recommend_from_history(history: set[int], ranking: dict[int, list[int]], *, k: int,
                           fallback: list[int]) -> list[int]:
    """Top k for a buyer who bought `history`: co-purchase neighbours scored 1/rank summed over the
    history, then popular items to fill; never something already bought."""
    scores: dict[int, float] = defaultdict(float)
    for item in history:
        for position, other in enumerate(ranking.get(item, []), start=1):
            if other not in history:
                scores[other] += 1.0 / position
    picked = [item for item, _score in sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))][:k]
    for item in fallback:
        if len(picked) >= k:
            break
        if item not in history and item not in picked:
            picked.append(item)
    return picked


@dataclass(frozen=True)
class HoldoutResult:
    buyers: int
    k: int
    copurchase_hit_rate: float
    popularity_hit_rate: float


def holdout_evaluate(baskets: list[Basket], *, k: int) -> HoldoutResult:
    """Leave out each buyer's last order (buyers with at least two), learn from the rest, and count
    a hit when one of the k recommendations is in the left-out order."""
    by_buyer: dict[int, list[Basket]] = defaultdict(list)
    for basket in baskets:
        by_buyer[basket[0]].append(basket)
    held: dict[int, Basket] = {}
    training: list[Basket] = []
    for buyer, orders in by_buyer.items():
        orders.sort(key=lambda b: b[1])
        if len(orders) >= 2:
            held[buyer] = orders[-1]
            training += orders[:-1]
        else:
            training += orders
    ranking = copurchase_ranking(training)
    popular = popularity_ranking(training)
    history: dict[int, set[int]] = defaultdict(set)
    for buyer, _seq, items in training:
        history[buyer] |= items
    hits_copurchase = hits_popular = 0
    for buyer, (_b, _seq, items) in held.items():
        mine = history[buyer]
        if set(recommend_from_history(mine, ranking, k=k, fallback=popular)) & items:
            hits_copurchase += 1
        if set(recommend_from_history(mine, {}, k=k, fallback=popular)) & items:
            hits_popular += 1
    total = len(held)
    return HoldoutResult(buyers=total, k=k, copurchase_hit_rate=hits_copurchase / total if total else 0.0,
                         popularity_hit_rate=hits_popular / total if total else 0.0)
