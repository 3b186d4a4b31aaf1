"""`manage.py seed_demo`: create the demo data (idempotent) and print the logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from demo.seed import DEMO_PASSWORD, PRODUCTS_PER_STORE, demo_seed


class Command(BaseCommand):
    help = "Create demo users, stores and their catalogs (safe to run again)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--in-background", action="store_true",
                            help="queue one task per store for its catalog and orders (a worker runs them)")
        parser.add_argument("--products", type=int, default=PRODUCTS_PER_STORE, help="products per store")

    def handle(self, *args: Any, **options: Any) -> None:
        logins = demo_seed(in_background=options["in_background"], products_per_store=options["products"])
        if options["verbosity"] < 1:
            return
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Logins (password: {DEMO_PASSWORD}):"))
        for role, email, where in logins.rows:
            self.stdout.write(f"  {role:<28} {email:<32} {where}")
