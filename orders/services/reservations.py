"""Stock reserved for an order in each vendor's schema, released and taken again."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from orders.errors import OutOfStock
from orders.models import Order, OrderLine
from orders.services.variants import schema_of
from vendors.models import Vendor


def reservation_minutes() -> int:
    return int(getattr(settings, "ORDERS_RESERVATION_MINUTES", 15))


_STOCK_TAKE_SQL = 'UPDATE {table} SET "stock" = "stock" - %s WHERE "id" = %s AND "stock" >= %s RETURNING "stock"'


def _stock_reserve(*, order: Order, vendors: dict[int, Vendor], lines: list[OrderLine] | None = None) -> None:
    """Conditional decrements in each vendor's schema, in a fixed order (no deadlocks).

    `lines` are the order's lines when the caller has them (checkout: no re-read). Per vendor:
    one `UPDATE … RETURNING` per variant (the stock after it, for the adjustment), one insert of
    the adjustments, one outbox write for the listing.
    """
    from django.db import connection

    from catalog.models import StockAdjustment, Variant
    from catalog.services import outbox_write_many

    wanted: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    names: dict[int, str] = {}
    products: dict[int, set[int]] = defaultdict(set)
    for line in order.lines.all() if lines is None else lines:
        wanted[line.vendor_id][line.variant_id] += line.quantity
        names[line.variant_id] = line.name
        products[line.vendor_id].add(line.product_id)
    sql = _STOCK_TAKE_SQL.format(table=connection.ops.quote_name(Variant._meta.db_table))
    for vendor_id in sorted(wanted, key=lambda pk: schema_of(vendors[pk])):
        with schema_context(schema_of(vendors[vendor_id])):
            adjustments = []
            with connection.cursor() as cursor:
                for variant_id in sorted(wanted[vendor_id]):
                    quantity = wanted[vendor_id][variant_id]
                    cursor.execute(sql, [quantity, variant_id, quantity])
                    row = cursor.fetchone()
                    if row is None:
                        raise OutOfStock(
                            _("%(name)s sold out while you were checking out.") % {"name": names[variant_id]},
                            fields={"items": [names[variant_id]]},
                        )
                    adjustments.append(StockAdjustment(
                        variant_id=variant_id, delta=-quantity, stock_after=row[0],
                        reason=StockAdjustment.Reason.SOLD, note=f"order {order.number} reserved",
                        user_id=order.buyer_id, user_email=order.email,
                    ))
            StockAdjustment.objects.bulk_create(adjustments)
            # The marketplace listing shows stock: publish the change with the reservation (the
            # lines carry each variant's product, so no lookup of it).
            outbox_write_many(product_ids=sorted(products[vendor_id]))


def _stock_release(*, order: Order, note: str) -> None:
    """Give back every reserved unit still open (idempotent through `stock_released`)."""
    from catalog.models import StockAdjustment, Variant
    from catalog.services import variants_changed_publish

    if order.stock_released:
        return
    by_vendor: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for line in order.lines.all():
        open_quantity = line.quantity - line.shipped_quantity - line.cancelled_quantity
        if open_quantity > 0:
            by_vendor[line.vendor_id][line.variant_id] += open_quantity
    vendors = Vendor.objects.select_related("store").in_bulk(list(by_vendor))
    for vendor_id in sorted(by_vendor, key=lambda pk: schema_of(vendors[pk])):
        with schema_context(schema_of(vendors[vendor_id])):
            for variant_id, quantity in sorted(by_vendor[vendor_id].items()):
                if Variant.objects.filter(pk=variant_id).update(stock=F("stock") + quantity):
                    stock_after = Variant.objects.filter(pk=variant_id).values_list("stock", flat=True).get()
                    StockAdjustment.objects.create(
                        variant_id=variant_id, delta=quantity, stock_after=stock_after,
                        reason=StockAdjustment.Reason.CORRECTION, note=f"order {order.number} {note}"[:200],
                    )
            variants_changed_publish(variant_ids=list(by_vendor[vendor_id]))
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
