"""Fulfilment's implementation of orders' `Fulfilment` protocol (registered by FulfillmentConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from fulfillment.models import VendorOrder, VendorOrderEvent
from orders.fulfillment_port import FulfilmentState, LineState
from orders.models import SubOrder


class VendorFulfilment:
    def state(self, *, sub_order: SubOrder) -> FulfilmentState | None:
        store = sub_order.vendor.store
        if store is None:
            return None
        with schema_context(store.schema_name):
            vendor_order = (VendorOrder.objects.prefetch_related("lines", "shipments")
                            .filter(sub_order_id=sub_order.pk).first())
            if vendor_order is None:
                return None
            latest = VendorOrderEvent.objects.filter(vendor_order=vendor_order).order_by("-created_at", "-id").first()
            # The vendor's event keeps a user id, not a key: the public event may name only a user
            # who still exists (users are public; its key would refuse a deleted one at commit).
            actor_id = latest.actor_id if latest else None
            if actor_id is not None and not get_user_model().objects.filter(pk=actor_id).exists():
                actor_id = None
            return FulfilmentState(
                vendor_order_id=vendor_order.pk,
                lines={line.order_line_id: LineState(line.shipped_quantity, line.cancelled_quantity,
                                                     line.refunded_amount)
                       for line in vendor_order.lines.all()},
                tracking=[{"carrier": s.carrier_display, "carrier_code": s.carrier,
                           "tracking_number": s.tracking_number, "tracking_url": s.tracking_url,
                           "status": s.status, "status_label": str(s.get_status_display()),
                           "shipped_at": s.shipped_at.isoformat(),
                           "delivered_at": s.delivered_at.isoformat() if s.delivered_at else None}
                          for s in vendor_order.shipments.all()],
                delivered_at=vendor_order.delivered_at if vendor_order.status == VendorOrder.Status.DELIVERED else None,
                refunded_amount=vendor_order.refunded_amount,
                actor_kind=latest.actor_kind if latest else "system",
                actor_id=actor_id,
                reason=latest.reason if latest else "",
                data=dict(latest.data) if latest else {},
            )

    def cancel_all(self, *, sub_order: SubOrder, user: Any, by: str) -> None:
        from fulfillment.services import vendor_order_cancel_all, vendor_order_create

        store = sub_order.vendor.store
        assert store is not None
        with schema_context(store.schema_name):
            # The vendor's copy may not exist yet (its task is queued after payment): make it now.
            vendor_order, _created = vendor_order_create(sub_order_id=sub_order.pk)
            vendor_order_cancel_all(vendor_order_id=vendor_order.pk, user=user, by=by)

    def refund_record(self, *, sub_order: SubOrder, line_parts: dict[int, int], amount: int) -> None:
        from fulfillment.services import vendor_order_refund_record

        store = sub_order.vendor.store
        if store is None:
            return
        with schema_context(store.schema_name):
            vendor_order_refund_record(sub_order_id=sub_order.pk, line_parts=line_parts, amount=amount)
