"""Stock reserved for an order in each vendor's schema, released and taken again."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from orders.errors import OutOfStock
from orders.models import Order, OrderLine
from orders.services.variants import schema_of
from vendors.models import Vendor


def reservation_minutes() -> int:
    return int(getattr(settings, "ORDERS_RESERVATION_MINUTES", 15))


def _stock_reserve(*, order: Order, vendors: dict[int, Vendor], lines: list[OrderLine] | None = None) -> None:
    """Reserve the order's units in each vendor's schema, vendors in a fixed order (no deadlocks).

    `lines` are the order's lines when the caller has them (checkout: no re-read). All or nothing:
    a vendor short of one line raises `OutOfStock`, and the caller's transaction undoes the rest.
    """
    from catalog.services import StockShort, stock_reserve

    wanted: dict[int, list[tuple[int, int]]] = defaultdict(list)
    names: dict[int, str] = {}
    lines = list(order.lines.all()) if lines is None else lines
    for line in lines:
        wanted[line.vendor_id].append((line.variant_id, line.quantity))
        names[line.variant_id] = line.name
    stock_after: dict[tuple[int, int], int] = {}
    for vendor_id in sorted(wanted, key=lambda pk: schema_of(vendors[pk])):
        with schema_context(schema_of(vendors[vendor_id])):
            try:
                left = stock_reserve(lines=wanted[vendor_id], note=f"order {order.number} reserved",
                                     user_id=order.buyer_id, user_email=order.email)
            except StockShort as short:
                name = names[short.variant_id]
                raise OutOfStock(_("%(name)s sold out while you were checking out.") % {"name": name},
                                 fields={"items": [name]}) from None
        stock_after.update({(vendor_id, variant_id): units for variant_id, units in left.items()})
    _backorders_record(lines, stock_after)


def _backorders_record(lines: list[OrderLine], stock_after: dict[tuple[int, int], int]) -> None:
    """Record on each line the units the reservation sold beyond stock (written only when a line
    differs from what checkout assumed: no statement for an ordinary order)."""
    from catalog.services.stock import backordered_units

    changed = []
    for line in lines:
        after = stock_after.get((line.vendor_id, line.variant_id))
        backordered = 0 if after is None else backordered_units(stock_after=after, units=line.quantity)
        ships_from = line.ships_from if backordered else None
        if (backordered, ships_from) != (line.backordered_quantity, line.ships_from):
            line.backordered_quantity, line.ships_from = backordered, ships_from
            changed.append(line)
    if changed:
        OrderLine.objects.bulk_update(changed, ["backordered_quantity", "ships_from"])


def _stock_release(*, order: Order, note: str) -> None:
    """Give back every reserved unit still open (idempotent through `stock_released`)."""
    from catalog.services import stock_release

    if order.stock_released:
        return
    by_vendor: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for line in order.lines.all():
        open_quantity = line.quantity - line.shipped_quantity - line.cancelled_quantity
        if open_quantity > 0:
            by_vendor[line.vendor_id].append((line.variant_id, open_quantity))
    vendors = Vendor.objects.select_related("store").in_bulk(list(by_vendor))
    for vendor_id in sorted(by_vendor, key=lambda pk: schema_of(vendors[pk])):
        with schema_context(schema_of(vendors[vendor_id])):
            stock_release(lines=by_vendor[vendor_id], note=f"order {order.number} {note}")
    order.stock_released = True
    order.save(update_fields=["stock_released", "updated_at"])


def _stock_take_again(*, order: Order) -> bool:
    """After a late payment of a released order: reserve again if every unit is still there."""
    vendors = Vendor.objects.select_related("store").in_bulk(list(order.sub_orders.values_list("vendor_id", flat=True)))
    try:
        with transaction.atomic():
            _stock_reserve(order=order, vendors=vendors)
    except OutOfStock:
        return False
    order.stock_released = False
    order.save(update_fields=["stock_released", "updated_at"])
    return True
