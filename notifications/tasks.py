"""Background work of notifications: the low-stock sweep of every vendor's catalog."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone
from django_tenants.utils import schema_context

from common.hosts import vendor_url
from notifications.services import vendor_team_notify

TEAM_ROLES = ("owner", "manager", "staff")


@shared_task
def low_stock_scan() -> int:
    """Tell each vendor's team about variants at or below their alert level, once a day per
    variant while it stays low. Reads each vendor's own schema, by name, one at a time."""
    from catalog.selectors import variants_low_stock
    from vendors.models import Vendor

    today = timezone.now().date().isoformat()
    sent = 0
    for vendor in Vendor.objects.filter(store__status="ready").select_related("store").order_by("pk"):
        if vendor.store is None:
            continue
        with schema_context(vendor.store.schema_name):
            low = [(v.pk, v.product.name, v.sku, v.stock, v.low_stock_threshold) for v in variants_low_stock()[:50]]
        for variant_id, product, sku, stock, threshold in low:
            sent += len(vendor_team_notify(
                "low_stock", vendor=vendor, roles=TEAM_ROLES, link=vendor_url(vendor, "/dashboard/stock/low/"),
                context={"product_name": product, "variant_name": sku, "stock": stock, "threshold": threshold},
                dedupe_key=f"low_stock:{vendor.pk}:{variant_id}:{today}"))
    return sent
