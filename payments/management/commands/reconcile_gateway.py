"""`manage.py reconcile_gateway --since D --until D`: list where local state and the gateway differ."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import autodiscover_modules

from payments.errors import GatewayError
from payments.management.commands._dates import parse_moment
from payments.reconcile import Window, reconcile, reconcilers


class Command(BaseCommand):
    help = (
        "Compare local state with the gateway for objects created in [since, until): webhook "
        "events against the gateway's event log, PaymentIntents against PaymentRecords, plus "
        "every check other apps register in their reconcilers.py. Exits 1 on mismatches with "
        "--fail-on-mismatch."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", required=True, help="YYYY-MM-DD or ISO datetime (UTC)")
        parser.add_argument("--until", required=True, help="exclusive; a day includes that day")
        parser.add_argument("--check", action="append", default=[], help="run only these checks")
        parser.add_argument("--json", action="store_true", help="print mismatches as JSON")
        parser.add_argument("--fail-on-mismatch", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        autodiscover_modules("reconcilers")
        since = parse_moment(options["since"])
        until = parse_moment(options["until"], end=True)
        if since >= until:
            raise CommandError("--since must be before --until.")
        unknown = set(options["check"]) - set(reconcilers())
        if unknown:
            raise CommandError(
                f"Unknown checks: {', '.join(sorted(unknown))}; known: {', '.join(sorted(reconcilers()))}"
            )
        window = Window(created_gte=int(since.timestamp()), created_lt=int(until.timestamp()))
        try:
            mismatches = reconcile(window, only=options["check"])
        except GatewayError as exc:
            raise CommandError(f"The gateway failed: {exc.code}: {exc.message}") from exc
        if options["json"]:
            self.stdout.write(json.dumps([m.as_dict() for m in mismatches], indent=2))
        else:
            for m in mismatches:
                where = f" [{m.account}]" if m.account else ""
                self.stdout.write(f"{m.check}: {m.kind} {m.object_id}{where}: {m.detail}")
            style = self.style.WARNING if mismatches else self.style.SUCCESS
            self.stdout.write(style(f"{len(mismatches)} mismatch(es) from {since:%Y-%m-%d %H:%M} "
                                    f"to {until:%Y-%m-%d %H:%M} UTC."))
        if mismatches and options["fail_on_mismatch"]:
            raise SystemExit(1)
