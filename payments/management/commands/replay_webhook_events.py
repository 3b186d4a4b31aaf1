"""`manage.py replay_webhook_events`: apply stored Stripe events again (by id, type, dates, status)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from payments import webhooks
from payments.management.commands._dates import parse_moment
from payments.models import WebhookEvent


class Command(BaseCommand):
    help = (
        "Replay stored webhook events. Without --force only failed events are replayed; handlers "
        "are idempotent, so --force on applied events is harmless. Events are queued to the "
        "worker, or applied here with --sync."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--id", action="append", default=[], dest="ids",
                            help="Stripe event id (evt_…) or local id; repeatable")
        parser.add_argument("--type", help="event type, or a prefix ending in * (payment_intent.*)")
        parser.add_argument("--since", help="received at or after (YYYY-MM-DD or ISO datetime)")
        parser.add_argument("--until", help="received before (a day includes that day)")
        parser.add_argument("--status", choices=WebhookEvent.Status.values,
                            help="only events in this status (default: failed)")
        parser.add_argument("--force", action="store_true",
                            help="also replay applied, ignored and received events")
        parser.add_argument("--sync", action="store_true", help="apply now instead of queueing")
        parser.add_argument("--dry-run", action="store_true", help="list what would be replayed")

    def handle(self, *args: Any, **options: Any) -> None:
        events = WebhookEvent.objects.order_by("created", "id")
        if options["ids"]:
            stripe_ids = [i for i in options["ids"] if i.startswith("evt_")]
            pks = [int(i) for i in options["ids"] if i.isdigit()]
            bad = [i for i in options["ids"] if not i.startswith("evt_") and not i.isdigit()]
            if bad:
                raise CommandError(f"Not event ids: {', '.join(bad)}")
            events = events.filter(Q(stripe_id__in=stripe_ids) | Q(pk__in=pks))
        if options["type"]:
            event_type = options["type"]
            events = (
                events.filter(type__startswith=event_type[:-1])
                if event_type.endswith("*")
                else events.filter(type=event_type)
            )
        if options["since"]:
            events = events.filter(received_at__gte=parse_moment(options["since"]))
        if options["until"]:
            events = events.filter(received_at__lt=parse_moment(options["until"], end=True))
        status = options["status"] or (None if options["force"] else WebhookEvent.Status.FAILED)
        if status:
            events = events.filter(status=status)
        if status and status != WebhookEvent.Status.FAILED and not options["force"]:
            raise CommandError("Replaying events that are not failed needs --force.")
        selected = list(events.values_list("pk", "stripe_id", "type", "status"))
        outcome: dict[str, int] = {}
        for pk, stripe_id, event_type, current in selected:
            if options["dry_run"]:
                self.stdout.write(f"would replay {stripe_id} {event_type} ({current})")
                continue
            webhooks.webhook_event_replay(event_id=pk, force=True)
            if options["sync"]:
                result = webhooks.webhook_event_apply(event_id=pk).status
            else:
                result = "queued"
            outcome[result] = outcome.get(result, 0) + 1
            self.stdout.write(f"{stripe_id} {event_type}: {current} -> {result}")
        summary = ", ".join(f"{n} {name}" for name, n in sorted(outcome.items())) or "nothing"
        self.stdout.write(self.style.SUCCESS(f"{len(selected)} event(s) selected; {summary}."))
