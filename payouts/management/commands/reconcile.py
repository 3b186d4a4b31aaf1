"""`manage.py reconcile`: the ledger, and local objects of a date range, against the gateway."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import autodiscover_modules

from payments.errors import GatewayError
from payments.management.commands._dates import parse_moment
from payments.reconcile import Mismatch as ObjectMismatch
from payments.reconcile import Window, reconcilers
from payments.reconcile import reconcile as reconcile_objects
from payouts.reconciliation import ReconciliationReport
from payouts.reconciliation import reconcile as reconcile_ledger

LEDGER = "ledger"
ALL = "all"  # the ledger and every object check, in one run (the restore drill)


class Command(BaseCommand):
    help = (
        "Compare local state with the gateway and list every mismatch; exit 1 when there is one. "
        "Without a date range: the ledger against the gateway's balance transactions (platform "
        "and connected accounts). With --since/--until: the objects created in [since, until), "
        "webhook events against the gateway's event log, PaymentIntents against PaymentRecords, "
        "plus every check other apps register in their reconcilers.py. --check picks checks by "
        "name ('ledger' or an object check) and may combine both kinds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="YYYY-MM-DD or ISO datetime (UTC)")
        parser.add_argument("--until", help="exclusive; a day includes that day")
        parser.add_argument("--check", action="append", default=[],
                            help="run only these checks (repeatable)")
        parser.add_argument("--platform-only", action="store_true",
                            help="ledger: skip connected accounts")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        # The old reconcile_gateway's flag: every mismatch now exits 1, so scripts that still pass
        # it keep working.
        parser.add_argument("--fail-on-mismatch", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        autodiscover_modules("reconcilers")
        window = self._window(options["since"], options["until"])
        ledger, object_checks = self._checks(options["check"], window)
        report = reconcile_ledger(include_vendors=not options["platform_only"]) if ledger else None
        mismatches: list[ObjectMismatch] | None = None
        if window is not None and object_checks:
            try:
                mismatches = reconcile_objects(Window(*map(_epoch, window)), only=object_checks)
            except GatewayError as exc:
                raise CommandError(f"The gateway failed: {exc.code}: {exc.message}") from exc
        if options["json"]:
            self._write_json(report, mismatches, window)
        else:
            self._write_text(report, mismatches, window)
        if (report is not None and not report.ok) or mismatches:
            raise SystemExit(1)

    def _window(self, since: str | None, until: str | None) -> tuple[datetime, datetime] | None:
        if since is None and until is None:
            return None
        if since is None or until is None:
            raise CommandError("--since and --until go together.")
        start, end = parse_moment(since), parse_moment(until, end=True)
        if start >= end:
            raise CommandError("--since must be before --until.")
        return start, end

    def _checks(
        self, chosen: list[str], window: tuple[datetime, datetime] | None
    ) -> tuple[bool, list[str]]:
        """(run the ledger check, the object checks to run): by default the ledger without a date
        range and every object check with one."""
        known = set(reconcilers())
        if ALL in chosen:
            chosen = [LEDGER, *known]
        unknown = set(chosen) - known - {LEDGER}
        if unknown:
            raise CommandError(f"Unknown checks: {', '.join(sorted(unknown))}; known: "
                               f"{', '.join(sorted(known | {LEDGER, ALL}))}")
        if not chosen:
            return window is None, sorted(known) if window is not None else []
        object_checks = sorted(set(chosen) - {LEDGER})
        if object_checks and window is None:
            raise CommandError(f"{', '.join(object_checks)} need --since and --until.")
        return LEDGER in chosen, object_checks

    def _write_json(
        self, report: ReconciliationReport | None, mismatches: list[ObjectMismatch] | None,
        window: tuple[datetime, datetime] | None,
    ) -> None:
        data: dict[str, Any] = {
            "ok": (report is None or report.ok) and not mismatches,
        }
        if report is not None:
            data[LEDGER] = {
                "ok": report.ok, "checked": dict(report.checked), "totals": report.totals,
                "unexplained": report.unexplained,
                "mismatches": [m.as_dict() for m in report.mismatches],
            }
        if mismatches is not None and window is not None:
            data["objects"] = {
                "since": window[0].isoformat(), "until": window[1].isoformat(),
                "mismatches": [m.as_dict() for m in mismatches],
            }
        self.stdout.write(json.dumps(data, indent=2))

    def _write_text(
        self, report: ReconciliationReport | None, mismatches: list[ObjectMismatch] | None,
        window: tuple[datetime, datetime] | None,
    ) -> None:
        if report is not None:
            for name, values in report.totals.items():
                self.stdout.write(f"{name}: gateway {values['gateway']} · ledger {values['ledger']}")
            for m in report.mismatches:
                self.stdout.write(f"MISMATCH {m.check} {m.object_id}: gateway {m.gateway} · "
                                  f"ledger {m.ledger} {m.currency} ({m.detail})")
            checked = sum(report.checked.values())
            if report.ok:
                self.stdout.write(self.style.SUCCESS(f"Ledger OK: {checked} transactions, no mismatch."))
            else:
                self.stdout.write(self.style.ERROR(
                    f"Ledger: {len(report.mismatches)} mismatch(es) in {checked} transactions."))
        if mismatches is not None and window is not None:
            for o in mismatches:
                where = f" [{o.account}]" if o.account else ""
                self.stdout.write(f"{o.check}: {o.kind} {o.object_id}{where}: {o.detail}")
            style = self.style.WARNING if mismatches else self.style.SUCCESS
            self.stdout.write(style(f"{len(mismatches)} mismatch(es) from {window[0]:%Y-%m-%d %H:%M} "
                                    f"to {window[1]:%Y-%m-%d %H:%M} UTC."))


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())
