"""The recommendations batch (ADR 0095): co-purchases from paid orders, similar items, buyers'
picks; their ordering, what they leave out, and the offline evaluation's model of the batch."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from analytics import recommendations as batch
from analytics.tasks import recommendations_refresh as refresh_task
from marketplace import recommendations
from marketplace.models import BuyerPick, Category, Listing, ListingCoPurchase, ListingSimilar
from orders.models import Order
from tests.factories import UserFactory, VendorFactory
from tests.factories.recommendations import basket_order
from tests.marketplace.helpers import make_listing
from vendors.models import Vendor

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop() -> dict[str, Any]:
    """Two vendors: a tent, a sleeping bag, a stove and a lamp (outdoor), a pan (kitchen)."""
    outdoor = Category.objects.create(name="Outdoor", slug="outdoor", path="outdoor")
    kitchen = Category.objects.create(name="Kitchen", slug="kitchen", path="kitchen")
    acme, globex = VendorFactory(slug="acmer", name="Acme"), VendorFactory(slug="globexr", name="Globex")
    return {
        "tent": make_listing(acme, "Trail tent two person", category_id=outdoor.pk),
        "bag": make_listing(acme, "Down sleeping bag", category_id=outdoor.pk),
        "stove": make_listing(globex, "Camping stove", category_id=outdoor.pk),
        "lamp": make_listing(acme, "Tent lamp", category_id=outdoor.pk),
        "pan": make_listing(globex, "Cast iron pan", category_id=kitchen.pk),
        "acme": acme, "globex": globex,
    }


def _pairs(listing: Listing) -> list[tuple[int, int, int]]:
    return list(ListingCoPurchase.objects.filter(listing=listing).order_by("rank")
                .values_list("other_id", "buyers", "rank"))


def test_copurchases_count_distinct_buyers_across_vendors_and_rank_ties_by_popularity(shop: dict[str, Any]) -> None:
    tent, bag, stove, pan = shop["tent"], shop["bag"], shop["stove"], shop["pan"]
    one, two, three = UserFactory(), UserFactory(), UserFactory()
    basket_order(one, [tent, stove, bag])
    basket_order(one, [tent, stove])  # the same buyer again: still one buyer for (tent, stove)
    basket_order(two, [tent, stove])
    basket_order(three, [tent, pan])
    basket_order(three, [bag])  # makes the bag more popular than the pan (2 buyers against 1)
    assert batch.copurchases_refresh() == 8
    # stove: 2 buyers; bag and pan 1 each, the bag first as more buyers bought it.
    assert _pairs(tent) == [(stove.pk, 2, 1), (bag.pk, 1, 2), (pan.pk, 1, 3)]
    assert _pairs(pan) == [(tent.pk, 1, 1)]
    assert _pairs(shop["lamp"]) == []


def test_only_paid_orders_in_the_window_count(shop: dict[str, Any]) -> None:
    tent, stove, bag, pan, lamp = shop["tent"], shop["stove"], shop["bag"], shop["pan"], shop["lamp"]
    buyer = UserFactory()
    basket_order(buyer, [tent, stove], status=Order.Status.PENDING_PAYMENT)
    basket_order(buyer, [tent, bag], status=Order.Status.CANCELLED)
    basket_order(buyer, [tent, pan], status=Order.Status.REFUNDED)
    basket_order(buyer, [tent, lamp], paid_at=timezone.now() - timedelta(days=batch.WINDOW_DAYS + 1))
    basket_order(buyer, [bag, stove], status=Order.Status.FULFILLED)
    batch.copurchases_refresh()
    assert _pairs(tent) == []
    assert _pairs(bag) == [(stove.pk, 1, 1)]


def test_hidden_listings_are_never_recommended_nor_kept(shop: dict[str, Any]) -> None:
    tent, stove, bag, pan, lamp = shop["tent"], shop["stove"], shop["bag"], shop["pan"], shop["lamp"]
    buyer = UserFactory()
    basket_order(buyer, [tent, stove, bag, pan, lamp])
    Listing.objects.filter(pk=bag.pk).update(in_stock=False)
    Listing.objects.filter(pk=lamp.pk).update(status=Listing.Status.ARCHIVED)
    Listing.objects.filter(pk=pan.pk).update(vendor_visible=False)  # taken down
    batch.copurchases_refresh()
    assert _pairs(tent) == [(stove.pk, 1, 1)]
    # A vendor suspended after the batch: the pages stop showing it at once, before the next batch.
    assert recommendations.bought_together(listing_id=tent.pk) == [stove]
    Vendor.objects.filter(pk=shop["globex"].pk).update(status=Vendor.Status.SUSPENDED)
    assert recommendations.bought_together(listing_id=tent.pk) == []
    batch.copurchases_refresh()
    assert _pairs(tent) == []


def test_similar_items_prefer_the_category_and_title_words_and_skip_hidden(shop: dict[str, Any]) -> None:
    tent, lamp, pan = shop["tent"], shop["lamp"], shop["pan"]
    other = VendorFactory(slug="otherr")
    far = make_listing(other, "Tent pegs")  # no category, but shares the word "tent"
    recommendations.similar_refresh()
    ranked = list(ListingSimilar.objects.filter(listing=tent).order_by("rank").values_list("other_id", flat=True))
    # The lamp shares the category and a word; the pegs only a word; the pan neither.
    assert ranked[0] == lamp.pk
    assert far.pk in ranked and pan.pk not in ranked
    assert set(ranked[: ranked.index(far.pk)]) == {lamp.pk, shop["bag"].pk, shop["stove"].pk}
    scores = list(ListingSimilar.objects.filter(listing=tent).order_by("rank").values_list("score", flat=True))
    assert scores == sorted(scores, reverse=True)
    Listing.objects.filter(pk=lamp.pk).update(in_stock=False)
    recommendations.similar_refresh()
    assert not ListingSimilar.objects.filter(listing=tent, other=lamp).exists()
    assert recommendations.similar_items(listing_id=pan.pk) == []


def test_buyer_picks_follow_purchases_and_views_but_never_repeat_a_purchase(shop: dict[str, Any]) -> None:
    tent, stove, bag, lamp = shop["tent"], shop["stove"], shop["bag"], shop["lamp"]
    me, others = UserFactory(), [UserFactory() for _ in range(2)]
    for other in others:
        basket_order(other, [tent, stove, bag])
    basket_order(me, [tent])
    basket_order(me, [bag])
    recommendations.listing_view_note(user=me, listing_id=lamp.pk)
    counts = batch.recommendations_refresh()
    assert counts.copurchases > 0 and counts.similar > 0 and counts.picks > 0
    picks = list(BuyerPick.objects.filter(user=me).order_by("rank").values_list("listing_id", flat=True))
    assert stove.pk == picks[0]  # bought with both the tent and the bag
    assert tent.pk not in picks and bag.pk not in picks
    shown = recommendations.buyer_picks(user=me, recent_ids=[lamp.pk])
    assert shown[0] == stove and lamp not in shown


def test_a_rerun_replaces_the_tables_and_the_command_runs_the_batch(shop: dict[str, Any],
                                                                          capsys: Any) -> None:
    buyer = UserFactory()
    basket_order(buyer, [shop["tent"], shop["stove"]])
    call_command("recommendations_refresh")
    assert "bought together: 2" in capsys.readouterr().out
    assert ListingCoPurchase.objects.count() == 2
    Listing.objects.filter(pk=shop["stove"].pk).update(in_stock=False)
    call_command("recommendations_refresh")
    assert ListingCoPurchase.objects.count() == 1


def test_the_evaluation_model_ranks_like_the_batch(shop: dict[str, Any]) -> None:
    """What the benchmark measures (a model in memory) is what the SQL batch serves."""
    items = [shop[name] for name in ("tent", "bag", "stove", "lamp", "pan")]
    buyers = [UserFactory() for _ in range(5)]
    baskets = [(0, [0, 1, 2]), (1, [0, 2]), (2, [1, 3, 4]), (3, [0, 4]), (4, [2, 3]), (0, [3, 4]), (1, [1, 2])]
    memory: list[batch.Basket] = []
    for seq, (who, picked) in enumerate(baskets):
        basket_order(buyers[who], [items[i] for i in picked])
        memory.append((buyers[who].pk, seq, frozenset(items[i].pk for i in picked)))
    batch.copurchases_refresh()
    from_sql = {item.pk: [o for o, _b, _r in _pairs(item)] for item in items}
    assert from_sql == batch.copurchase_ranking(memory)


def test_holdout_counts_a_hit_when_the_left_out_order_is_recommended() -> None:
    # Buyers 1-3 buy 10 then 11; buyer 4 buys 10 and their last order (held out) is 11.
    baskets = [(1, 0, frozenset({10, 11})), (2, 0, frozenset({10, 11})), (3, 0, frozenset({12})),
               (3, 1, frozenset({12, 13})), (4, 0, frozenset({10})), (4, 1, frozenset({11})),
               (5, 0, frozenset({12})), (6, 0, frozenset({12}))]
    result = batch.holdout_evaluate(baskets, k=1)
    assert result.buyers == 2
    # Training popularity: 10 and 12 (3 buyers each; 10 first by id), then 11. Co-purchase: buyer 4
    # (bought 10) gets 11, a hit; buyer 3 (bought 12, bought with nothing) falls back to 10, a miss.
    assert result.copurchase_hit_rate == 0.5
    # Popularity: buyer 4 gets 12 (10 is theirs already), buyer 3 gets 10: two misses.
    assert result.popularity_hit_rate == 0.0


@pytest.mark.django_db(transaction=True)
def test_the_scheduled_task_runs_on_a_real_worker(task_worker: Any) -> None:
    from django.conf import settings

    from tests.support.waiting import wait_until

    entry = settings.CELERY_BEAT_SCHEDULE["analytics-recommendations"]
    assert entry["task"] == "analytics.tasks.recommendations_refresh"
    vendor = VendorFactory(slug="taskr")
    tent, stove = make_listing(vendor, "Task tent"), make_listing(vendor, "Task stove")
    basket_order(UserFactory(), [tent, stove])
    refresh_task.delay()
    wait_until(lambda: ListingCoPurchase.objects.filter(listing=tent, other=stove, rank=1).exists(),
               timeout=60, message="the worker did not refresh the co-purchases")
