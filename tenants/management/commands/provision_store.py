"""`manage.py provision_store SLUG [--name NAME]`: create (or finish) a vendor's schema now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.exceptions import ApplicationError
from tenants import services
from tenants.models import Store


class Command(BaseCommand):
    help = "Create a vendor store schema and its domain (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, slug: str, name: str, **options: Any) -> None:
        try:
            slug = services.slug_validate(slug)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        store = Store.objects.filter(schema_name=services.schema_name_for(slug)).first()
        if store is None:
            store = services.store_create(slug=slug, name=name or slug.title())
        try:
            store = services.store_provision(store_id=store.pk)
        except Exception as exc:
            raise CommandError(f"provisioning failed: {exc}") from exc
        self.stdout.write(
            f"{store.schema_name} ready at {services.vendor_host(slug)} "
            f"in {store.provisioning_seconds or 0:.2f}s"
        )
