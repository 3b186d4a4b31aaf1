"""Reads of the vendor's orders (in the schema of the current request or task)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from fulfillment.models import VendorOrder
from fulfillment.services import VendorOrderNotFound

STATUS_FILTERS = {"new", "partially_shipped", "shipped", "cancelled"}


def vendor_orders_list(*, status: str = "") -> QuerySet[VendorOrder]:
    queryset = VendorOrder.objects.all()
    if status in STATUS_FILTERS:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-placed_at", "-id")


def vendor_order_detail(*, vendor_order_id: Any) -> VendorOrder:
    try:
        return VendorOrder.objects.prefetch_related("lines", "shipments__lines__line").get(pk=int(vendor_order_id))
    except (VendorOrder.DoesNotExist, TypeError, ValueError):
        raise VendorOrderNotFound(_("Order not found.")) from None
