"""The rollup benchmark at a small size (the figures are in docs/benchmarks.md; no timing asserted)."""

from __future__ import annotations

import pytest

from bench import analytics_bench

pytestmark = pytest.mark.django_db


def test_the_benchmark_rolls_up_every_generated_event_and_cleans_up():
    analytics_bench.cleanup()
    analytics_bench.seed_events(count=5000, days=7)
    rolled = analytics_bench.rollup_days(days=7)
    from django.db.models import Sum

    from analytics.models import PlatformDay, VendorDay

    days = (analytics_bench.FIRST_DAY, analytics_bench.FIRST_DAY.replace(day=7))
    # Of every 100 events 80 are views, 2 purchases (one order each): all found in the rollups.
    assert VendorDay.objects.filter(day__range=days, currency="").aggregate(n=Sum("views"))["n"] == 4000
    assert PlatformDay.objects.filter(day__range=days, currency="EUR").aggregate(n=Sum("orders"))["n"] == 100
    assert len(rolled["per_day"]) == 7
    analytics_bench.cleanup(days=7)
    assert not VendorDay.objects.filter(day__range=days).exists()
