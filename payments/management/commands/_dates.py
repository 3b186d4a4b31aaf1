"""Date arguments of the payments commands: `2026-11-01` or an ISO datetime, in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.core.management.base import CommandError


def parse_moment(value: str, *, end: bool = False) -> datetime:
    """A day means its start (or, with `end`, the start of the next day: ranges are half-open)."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return moment + timedelta(days=1) if end else moment
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD) or ISO datetime.") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
