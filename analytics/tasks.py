"""Periodic analytics work: flush buffered page events, roll up days, make partitions ahead,
refresh forecasts. Each is idempotent and safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from analytics import forecast, partitions, rollups, services


@shared_task
def events_flush() -> int:
    return services.events_flush()


@shared_task
def rollup_daily() -> int:
    """Flush what waits, roll up from the last finished day through today, refresh forecasts."""
    services.events_flush()
    today = timezone.now().date()
    days = rollups.rollup_run(today=today)
    forecast.forecasts_refresh(today=today)
    return len(days)


@shared_task
def partitions_ahead() -> list[str]:
    return partitions.partitions_ensure(today=timezone.now().date(), months_ahead=3)


@shared_task
def events_export_yesterday() -> int:
    """The daily Parquet export for a warehouse (docs/analytics.md)."""
    from datetime import timedelta

    from analytics.exports import events_export_day

    _name, rows = events_export_day(day=timezone.now().date() - timedelta(days=1))
    return rows


@shared_task
def recommendations_refresh() -> dict[str, int]:
    """Rebuild the recommendation tables (ADR 0095); replacing them whole makes a rerun harmless."""
    from dataclasses import asdict

    from analytics.recommendations import recommendations_refresh as refresh

    return asdict(refresh())
