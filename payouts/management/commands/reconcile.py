"""`manage.py reconcile`: the ledger against the gateway's balance transactions; exit 1 on mismatch."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from payouts.reconciliation import reconcile


class Command(BaseCommand):
    help = "Compare the ledger with the gateway's balance transactions and list every mismatch."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument("--platform-only", action="store_true", help="Skip connected accounts.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = reconcile(include_vendors=not options["platform_only"])
        if options["json"]:
            self.stdout.write(json.dumps({
                "ok": report.ok, "checked": dict(report.checked), "totals": report.totals,
                "unexplained": report.unexplained,
                "mismatches": [m.as_dict() for m in report.mismatches],
            }, indent=2))
        else:
            for name, values in report.totals.items():
                self.stdout.write(f"{name}: gateway {values['gateway']} · ledger {values['ledger']}")
            for mismatch in report.mismatches:
                self.stdout.write(
                    f"MISMATCH {mismatch.check} {mismatch.object_id}: gateway {mismatch.gateway} · "
                    f"ledger {mismatch.ledger} {mismatch.currency} ({mismatch.detail})")
            checked = sum(report.checked.values())
            if report.ok:
                self.stdout.write(self.style.SUCCESS(f"OK: {checked} transactions, no mismatch."))
            else:
                self.stdout.write(self.style.ERROR(f"{len(report.mismatches)} mismatch(es) in {checked} transactions."))
        if not report.ok:
            raise SystemExit(1)
