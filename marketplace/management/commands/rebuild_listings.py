"""`manage.py rebuild_listings [--vendor slug ...]`: rebuild the listing projection from the vendor schemas."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from marketplace.services import listings_rebuild
from vendors.models import Vendor


class Command(BaseCommand):
    help = "Rebuild marketplace.Listing from every vendor schema (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--vendor", action="append", default=[], help="Vendor slug (repeatable).")

    def handle(self, *args: Any, **options: Any) -> None:
        vendor_ids = None
        if options["vendor"]:
            vendor_ids = list(Vendor.objects.filter(slug__in=options["vendor"]).values_list("pk", flat=True))
        counts = listings_rebuild(vendor_ids=vendor_ids)
        self.stdout.write(
            f"Rebuilt listings: {counts['vendors']} vendors, {counts['upserted']} upserted, "
            f"{counts['removed']} removed."
        )
