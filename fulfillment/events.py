"""Vendor-order status moves (one table) and the vendor's own event rows, in the vendor's schema."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from fulfillment.errors import VendorOrderStateConflict
from fulfillment.models import VendorOrder, VendorOrderEvent

V = VendorOrder.Status

# Every allowed move; `vendor_order_move` checks it, tests/fulfillment/test_vendor_order_events.py
# walks it. Shipping and cancelling are by units, so a part-shipped order can still finish by
# cancelling the rest (it is then shipped: everything that will ship has).
VENDOR_ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    V.NEW: frozenset({V.PARTIALLY_SHIPPED, V.SHIPPED, V.CANCELLED}),
    V.PARTIALLY_SHIPPED: frozenset({V.SHIPPED}),
    # Every parcel arrived (a carrier's delivered event, or the vendor's hand-over at a pickup).
    V.SHIPPED: frozenset({V.DELIVERED}),
    V.DELIVERED: frozenset(),
    V.CANCELLED: frozenset(),
}
ACTOR_KINDS = frozenset({"buyer", "vendor", "staff", "system"})


def vendor_order_event_record(
    *, vendor_order: VendorOrder, kind: str, user: Any = None, actor_kind: str = "system",
    from_status: str = "", to_status: str = "", reason: str = "", data: dict[str, Any] | None = None,
) -> VendorOrderEvent:
    return VendorOrderEvent.objects.create(
        vendor_order=vendor_order, kind=kind, from_status=from_status, to_status=to_status,
        actor_id=getattr(user, "pk", None), actor_email=(getattr(user, "email", "") or "")[:254],
        actor_kind=actor_kind if actor_kind in ACTOR_KINDS else "system", reason=(reason or "")[:300],
        data=data or {},
    )


@transaction.atomic
def vendor_order_move(
    *, vendor_order: VendorOrder, to: str, user: Any = None, actor_kind: str = "system", reason: str = "",
    data: dict[str, Any] | None = None, fields: Iterable[str] = (),
) -> VendorOrderEvent | None:
    """Move the vendor order to `to` (locked, checked against VENDOR_ORDER_TRANSITIONS, saved with
    `fields` too) and record it; the same status saves `fields` and records nothing."""
    current = VendorOrder.objects.select_for_update().values_list("status", flat=True).get(pk=vendor_order.pk)
    if to != current and to not in VENDOR_ORDER_TRANSITIONS[current]:
        raise VendorOrderStateConflict(
            _("This order is %(status)s; it cannot become %(to)s.") % {"status": V(current).label, "to": V(to).label},
            extra={"from": current, "to": to},
        )
    vendor_order.status = to
    vendor_order.save(update_fields=["status", "updated_at", *fields])
    if to == current:
        return None
    return vendor_order_event_record(
        vendor_order=vendor_order, kind=f"vendor_order.{to}", user=user, actor_kind=actor_kind,
        from_status=current, to_status=to, reason=reason, data=data,
    )
