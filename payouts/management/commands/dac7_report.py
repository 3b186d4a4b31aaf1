"""`manage.py dac7_report --year 2026 [--format csv|xml|1099k] [--vendor ID] [--output FILE]`."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from common.money import to_major
from payouts import dac7
from vendors.models import Vendor


class Command(BaseCommand):
    help = ("Write the DAC7 seller report of a year (CSV or DPI XML), or the US 1099-K threshold summary, "
            "to stdout or --output.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument("--format", choices=["csv", "xml", "1099k"], default="csv")
        parser.add_argument("--vendor", type=int, help="one vendor's report only (its id)")
        parser.add_argument("--output", help="a file to write (default: stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        year, fmt, vendor_id = options["year"], options["format"], options["vendor"]
        if not 2023 <= year <= timezone.now().year:
            raise CommandError(f"--year must be from 2023 (DAC7's first year) to {timezone.now().year}.")
        if vendor_id is not None and not Vendor.objects.filter(pk=vendor_id).exists():
            raise CommandError(f"No vendor with id {vendor_id}.")
        if fmt == "1099k":
            if vendor_id is not None:
                raise CommandError("--vendor applies to the DAC7 report, not the 1099-K summary.")
            text = self._form_1099k(year)
        else:
            reports = dac7.seller_reports(year=year, vendor_id=vendor_id)
            text = dac7.reports_xml(reports, year=year).decode() if fmt == "xml" else dac7.reports_csv(reports)
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {options['output']}.")
        else:
            self.stdout.write(text, ending="")

    @staticmethod
    def _form_1099k(year: int) -> str:
        import io

        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["year", "vendor_id", "vendor", "gross_usd", "transactions", "reportable"])
        for row in dac7.form_1099k_summary(year=year):
            writer.writerow([year, row.vendor_id, row.vendor_name, to_major(row.gross, "USD"), row.transactions,
                             "yes" if row.reportable else "no"])
        return out.getvalue()

