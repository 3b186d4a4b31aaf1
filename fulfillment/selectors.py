"""Reads of the vendor's orders (in the schema of the current request or task)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, Min, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from fulfillment.models import ShipmentLabel, VendorOrder, VendorOrderEvent
from fulfillment.services import VendorOrderNotFound
from orders.models import OrderEvent
from orders.services.risk import orders_held_for_review
from orders.timeline import TimelineEntry, order_timeline

STATUS_FILTERS = {"new", "partially_shipped", "shipped", "delivered", "cancelled"}


def vendor_orders_list(*, status: str = "") -> QuerySet[VendorOrder]:
    queryset = VendorOrder.objects.all()
    if status in STATUS_FILTERS:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-placed_at", "-id")


def vendor_order_detail(*, vendor_order_id: Any) -> VendorOrder:
    try:
        vendor_order = VendorOrder.objects.prefetch_related(
            "lines", "shipments__lines__line", "shipments__tracking_events",
            Prefetch("labels", queryset=ShipmentLabel.objects.defer("pdf"))).get(
            pk=int(vendor_order_id))
    except (VendorOrder.DoesNotExist, TypeError, ValueError):
        raise VendorOrderNotFound(_("Order not found.")) from None
    vendor_order.on_hold = bool(orders_held_for_review(order_ids=[vendor_order.order_id]))  # type: ignore[attr-defined]
    return vendor_order


def vendor_orders_mark_held(vendor_orders: list[VendorOrder]) -> list[VendorOrder]:
    """Set `on_hold` on each (one query): held for the marketplace's fraud review."""
    held = orders_held_for_review(order_ids=[vo.order_id for vo in vendor_orders])
    for vendor_order in vendor_orders:
        vendor_order.on_hold = vendor_order.order_id in held  # type: ignore[attr-defined]
    return vendor_orders


def _vendor_text(event: VendorOrderEvent) -> str:
    if event.kind == "vendor_order.received":
        return _("Order received")
    if event.kind == "vendor_order.shipment":
        return _("Shipment recorded: %(carrier)s %(tracking)s") % {
            "carrier": event.data.get("carrier", ""), "tracking": event.data.get("tracking_number", "")}
    status = event.to_status
    label = VendorOrder.Status(status).label if status in VendorOrder.Status.values else status
    return _("Status: %(status)s") % {"status": label}


def _vendor_actor(event: VendorOrderEvent) -> str:
    kind = event.actor_kind
    label = str(OrderEvent.ActorKind(kind).label) if kind in OrderEvent.ActorKind.values else kind
    return f"{label} ({event.actor_email})" if event.actor_email else label


def vendor_order_timeline(*, vendor_order: VendorOrder) -> list[TimelineEntry]:
    """The vendor's own history of this order (its schema) and its part of the public order's
    events (this sub-order only: never the order's other vendors), oldest first."""
    own = [
        TimelineEntry(event.created_at, _vendor_text(event), event.kind, actor=_vendor_actor(event),
                      reason=event.reason)
        for event in VendorOrderEvent.objects.filter(vendor_order=vendor_order).order_by("created_at", "id")
    ]
    public = order_timeline(order_id=vendor_order.order_id, audience=OrderEvent.Audience.VENDOR,
                            sub_order_id=vendor_order.sub_order_id)
    return sorted(own + public, key=lambda entry: entry.at)


@dataclass(frozen=True)
class SalesFigures:
    """Sales of the vendor's own schema in one currency: totals net of refunds, order counts."""

    currency: str
    today: int
    last_7_days: int
    last_30_days: int
    orders_today: int
    orders_30_days: int


def vendor_sales_figures(*, now: datetime) -> list[SalesFigures]:
    """Sales today (since midnight in the platform's time zone), in the last 7 and 30 days, one
    row per currency, in one query. Cancelled orders are not sales; refunds are taken off."""
    start_today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    since_7, since_30 = now - timedelta(days=7), now - timedelta(days=30)
    net = F("total_amount") - F("refunded_amount")
    rows = (
        VendorOrder.objects.exclude(status=VendorOrder.Status.CANCELLED)
        .filter(placed_at__gte=since_30, placed_at__lte=now)
        .values("currency")
        .annotate(
            today=Coalesce(Sum(net, filter=Q(placed_at__gte=start_today)), 0),
            last_7_days=Coalesce(Sum(net, filter=Q(placed_at__gte=since_7)), 0),
            last_30_days=Coalesce(Sum(net), 0),
            orders_today=Count("id", filter=Q(placed_at__gte=start_today)),
            orders_30_days=Count("id"),
        )
        .order_by("-last_30_days", "currency")
    )
    return [SalesFigures(**row) for row in rows]


def vendor_orders_to_ship() -> dict[str, Any]:
    """How many paid orders wait for a shipment, and since when the oldest waits."""
    return VendorOrder.objects.filter(
        status__in=[VendorOrder.Status.NEW, VendorOrder.Status.PARTIALLY_SHIPPED]
    ).aggregate(count=Count("id"), oldest=Min("placed_at"))
