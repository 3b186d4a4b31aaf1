"""`manage.py seed_demo_money`: paid demo orders, transfers and a payout on the running emulator."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from payouts.demo import demo_money_seed


class Command(BaseCommand):
    help = "Seed demo money (needs the Stripe emulator running); idempotent."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--orders", type=int, default=3)

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_money_seed(orders=options["orders"])
        self.stdout.write(f"demo money: {result['orders']} paid order(s) created")
