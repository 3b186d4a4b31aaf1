"""`manage.py analytics_export_events [--day YYYY-MM-DD]`: one day's events as Parquet (default yesterday)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from analytics.exports import events_export_day


class Command(BaseCommand):
    help = "Write one UTC day of analytics events to the exports bucket as Parquet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", help="YYYY-MM-DD (default: yesterday, UTC)")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.now().date()
        try:
            day = date.fromisoformat(options["day"]) if options.get("day") else today - timedelta(days=1)
        except ValueError:
            raise CommandError(f"--day must be a date as YYYY-MM-DD, not {options['day']!r}") from None
        if day >= today:
            raise CommandError("Only a finished day can be exported: choose a day before today.")
        name, rows = events_export_day(day=day)
        self.stdout.write(f"{rows} events of {day.isoformat()} written to {name}")
