"""Fulfilment as orders sees it: an interface (`Fulfilment`) that the fulfilment app implements.

Fulfilment comes after orders (docs/adr/0041), so orders never imports it: FulfillmentConfig.ready
registers its implementation here. Without one, a sub-order has no vendor copy to sync from and a
buyer cannot cancel a paid part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from orders.models import SubOrder


@dataclass(frozen=True)
class LineState:
    shipped_quantity: int
    cancelled_quantity: int
    refunded_amount: int


@dataclass(frozen=True)
class FulfilmentState:
    """The vendor's copy of a sub-order: per public order line id, what shipped, was cancelled and
    refunded; its tracking; when it was delivered; who made its latest change (the sub-order's
    move is theirs)."""

    vendor_order_id: int
    lines: dict[int, LineState]
    tracking: list[dict[str, Any]]
    refunded_amount: int
    actor_kind: str = "system"
    # Set once every parcel of the vendor's part arrived (the vendor order is delivered).
    delivered_at: datetime | None = None
    actor_id: int | None = None
    reason: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class Fulfilment(Protocol):
    def state(self, *, sub_order: SubOrder) -> FulfilmentState | None:
        """The vendor's copy of this sub-order, read in its schema; None while there is none."""
        ...

    def cancel_all(self, *, sub_order: SubOrder, user: Any, by: str) -> None:
        """Cancel every open unit of the sub-order, refunded, stock back (the copy made first if
        needed). Raises the fulfilment app's Conflict when something has shipped already."""
        ...

    def refund_record(self, *, sub_order: SubOrder, line_parts: dict[int, int], amount: int) -> None:
        """Keep the vendor's copy in step with a refund made on the public order (per order line
        id, and in all), so its sync back keeps the refund. Call it after the public rows are
        updated, under the sub-order's row lock: a copy made later carries them itself."""
        ...


class _NoFulfilment:
    def state(self, *, sub_order: SubOrder) -> FulfilmentState | None:
        return None

    def cancel_all(self, *, sub_order: SubOrder, user: Any, by: str) -> None:
        from django.utils.translation import gettext as _

        from orders.errors import OrderStateConflict

        raise OrderStateConflict(_("This part of the order can no longer be cancelled."))

    def refund_record(self, *, sub_order: SubOrder, line_parts: dict[int, int], amount: int) -> None:
        return None  # no vendor copies without fulfilment


_fulfilment: Fulfilment = _NoFulfilment()


def fulfilment_register(implementation: Fulfilment) -> None:
    global _fulfilment
    _fulfilment = implementation


def fulfilment() -> Fulfilment:
    return _fulfilment
