"""Background work of notifications: low-stock notices, as stock crosses the alert level and in
an hourly sweep of every vendor's catalog that catches any the first missed and finds products
running out at the forecast rate (under two weeks of cover)."""

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
    from catalog.selectors import variants_low_stock_crossings, weeks_of_cover

    sent = 0
    crossings = variants_low_stock_crossings(variant_ids=variant_ids)[:limit]
    cover = weeks_of_cover(vendor_id=vendor.pk, product_ids={variant.product_id for variant, _id in crossings})
    for variant, crossing_id in crossings:
        key = f"low_stock:{vendor.pk}:{variant.pk}:{crossing_id or timezone.now().date().isoformat()}"
        context = {"product_name": variant.product.name, "variant_name": variant.sku, "stock": variant.stock,
                   "threshold": variant.low_stock_threshold}
        if variant.product_id in cover:
            context["weeks_of_cover"] = _weeks(cover[variant.product_id])
        sent += len(vendor_team_notify(
            "low_stock", vendor=vendor, roles=TEAM_ROLES, link=vendor_url(vendor, "/dashboard/stock/low/"),
            context=context, dedupe_key=key))
    return sent


def _weeks(cover: float) -> str:
    return f"{cover:.1f}"


def _low_cover_notify(vendor: Any, limit: int = 50) -> int:
    """Notify the team of `vendor` (whose schema is active) of products above their alert levels
    with under two weeks of stock at the forecast rate: once per drop under the line (keyed by the
    product's last restock), however often asked."""
    from catalog.selectors import products_low_cover

    sent = 0
    for product, cover, restock_id in products_low_cover(vendor_id=vendor.pk)[:limit]:
        stock = sum(max(0, v.stock) for v in product.variants.all())
        sent += len(vendor_team_notify(
            "low_stock", vendor=vendor, roles=TEAM_ROLES, link=vendor_url(vendor, "/dashboard/stock/low/"),
            context={"product_name": product.name, "stock": stock, "weeks_of_cover": _weeks(cover),
                     "low_cover": True},
            dedupe_key=f"low_cover:{vendor.pk}:{product.pk}:{restock_id}"))
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
    yet (a crossing whose alert was lost; a variant created low is told once a day), and about
    products under two weeks of cover at the forecast rate (the forecast moves without any stock
    change, so this sweep, not the checkout, looks for them). Reads each vendor's own schema, by
    name, one at a time."""
    from vendors.models import Vendor

    sent = 0
    for vendor in Vendor.objects.filter(store__status="ready").select_related("store").order_by("pk"):
        if vendor.store is None:
            continue
        with schema_context(vendor.store.schema_name):
            sent += _low_stock_notify(vendor) + _low_cover_notify(vendor)
    return sent
