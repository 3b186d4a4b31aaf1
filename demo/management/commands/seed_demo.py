"""`manage.py seed_demo`: create the demo data (idempotent) and print the logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from demo.seed import DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Create demo users, vendors and products (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        logins = demo_seed()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Logins (password: {DEMO_PASSWORD}):"))
        for role, email, where in logins.rows:
            self.stdout.write(f"  {role:<28} {email:<32} {where}")
