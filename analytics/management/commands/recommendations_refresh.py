"""`manage.py recommendations_refresh`: rebuild the recommendation tables now (ADR 0095)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from analytics.recommendations import recommendations_refresh


class Command(BaseCommand):
    help = "Rebuild similar items, frequently bought together and buyers' picks from the listings and paid orders."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = recommendations_refresh()
        self.stdout.write(f"similar items: {counts.similar}, bought together: {counts.copurchases}, "
                          f"buyers' picks: {counts.picks}")
