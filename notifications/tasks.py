"""Background work of notifications: low-stock notices, as stock crosses the alert level and in
an hourly sweep of every vendor's catalog that catches any the first missed."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils import timezone
from django_tenants.utils import schema_context

from common.hosts import vendor_url
from notifications.services import vendor_team_notify

TEAM_ROLES = ("owner", "manager", "staff")


def _low_stock_notify(vendor: Any, variant_ids: list[int] | None = None, limit: int = 50) -> int:
    """Notify the team of `vendor` (whose schema is active) of its low variants: one notice per
    crossing of the alert level (keyed by the stock change that crossed it), however often asked."""
    from catalog.selectors import variants_low_stock_crossings

    sent = 0
    for variant, crossing_id in variants_low_stock_crossings(variant_ids=variant_ids)[:limit]:
        key = f"low_stock:{vendor.pk}:{variant.pk}:{crossing_id or timezone.now().date().isoformat()}"
        sent += len(vendor_team_notify(
            "low_stock", vendor=vendor, roles=TEAM_ROLES, link=vendor_url(vendor, "/dashboard/stock/low/"),
            context={"product_name": variant.product.name, "variant_name": variant.sku, "stock": variant.stock,
                     "threshold": variant.low_stock_threshold},
            dedupe_key=key))
    return sent


# Queued by name by the catalog's stock module when a change brings variants to their alert level;
# runs in that vendor's schema (the tenant-aware task machinery names it).
@shared_task(acks_late=True)
def low_stock_alert(variant_ids: list[int]) -> int:
    """Tell the current vendor's team that these variants just fell to their alert level."""
    from catalog.selectors import current_vendor_in_schema

    vendor = current_vendor_in_schema()
    if vendor is None:
        return 0
    return _low_stock_notify(vendor, variant_ids=[int(pk) for pk in variant_ids])


@shared_task
def low_stock_scan() -> int:
    """Tell each vendor's team about variants at or below their alert level that no notice covers
    yet (a crossing whose alert was lost; a variant created low is told once a day). Reads each
    vendor's own schema, by name, one at a time."""
    from vendors.models import Vendor

    sent = 0
    for vendor in Vendor.objects.filter(store__status="ready").select_related("store").order_by("pk"):
        if vendor.store is None:
            continue
        with schema_context(vendor.store.schema_name):
            sent += _low_stock_notify(vendor)
    return sent
