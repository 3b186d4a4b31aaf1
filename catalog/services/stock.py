"""Stock of the current schema's variants: the only writer of `Variant.stock` and its history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from catalog.errors import InvalidStockAdjustment, StockShort
from catalog.models import StockAdjustment, Variant
from catalog.services.outbox import outbox_write, outbox_write_many
from catalog.services.validation import _user_fields

# One line of a stock change: (variant id, units).
StockLine = tuple[int, int]

# Take units only if they are all there, in one statement: concurrent checkouts queue on the
# row, and the loser's `WHERE` no longer matches, so nothing is ever oversold.
_STOCK_TAKE_SQL = ('UPDATE {table} SET "stock" = "stock" - %s WHERE "id" = %s AND "stock" >= %s '
                   'RETURNING "stock", "product_id"')
_STOCK_GIVE_SQL = 'UPDATE {table} SET "stock" = "stock" + %s WHERE "id" = %s RETURNING "stock", "product_id"'


def _publish(product_ids: Iterable[int]) -> None:
    """The listing shows stock: an outbox event per product, in the caller's transaction."""
    outbox_write_many(product_ids=sorted(set(product_ids)))


def _by_variant(lines: Iterable[StockLine]) -> list[StockLine]:
    """Units summed per variant, in variant order: every writer locks rows in the same order."""
    totals: dict[int, int] = defaultdict(int)
    for variant_id, quantity in lines:
        totals[variant_id] += quantity
    return sorted(totals.items())


def _variant_table() -> str:
    return connection.ops.quote_name(Variant._meta.db_table)


@transaction.atomic
def stock_adjust(*, variant: Variant, delta: int, reason: str, note: str = "", user: Any = None) -> StockAdjustment:
    """Change stock by `delta` (never below zero) and record why and who."""
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0 or abs(delta) > 10**9:
        raise InvalidStockAdjustment(_("The change must be a non-zero whole number."), fields={"delta": ["invalid"]})
    if reason not in StockAdjustment.Reason.values:
        raise InvalidStockAdjustment(_("Unknown reason."), fields={"reason": ["invalid"]})
    variant = Variant.objects.select_for_update().get(pk=variant.pk)
    if variant.stock + delta < 0:
        raise InvalidStockAdjustment(
            _("Stock is %(stock)s; it cannot go below zero.") % {"stock": variant.stock}, fields={"delta": ["below_zero"]}
        )
    variant.stock += delta
    variant.save(update_fields=["stock", "updated_at"])
    adjustment = StockAdjustment.objects.create(
        variant=variant, delta=delta, stock_after=variant.stock, reason=reason, note=(note or "")[:200],
        **_user_fields(user),
    )
    outbox_write(product_id=variant.product_id)
    return adjustment


@transaction.atomic(savepoint=False)
def stock_set_initial(*, variant: Variant, stock: int, user: Any = None) -> None:
    """The first stock of a variant just created (with none), and its history row.

    No outbox event of its own: the only callers create the variant inside a catalog service that
    publishes the product once, after all its variants, in the same transaction.
    """
    if not stock:
        return
    Variant.objects.filter(pk=variant.pk).update(stock=stock)
    variant.stock = stock
    StockAdjustment.objects.create(
        variant=variant, delta=stock, stock_after=stock, reason=StockAdjustment.Reason.INITIAL,
        **_user_fields(user),
    )


def stock_history_initial_many(*, variants: Iterable[Variant]) -> int:
    """The INITIAL history rows of variants bulk-created with their first stock (the demo catalog).

    The caller created the variants with `stock` set and publishes their products itself.
    """
    rows = [StockAdjustment(variant=variant, delta=variant.stock, stock_after=variant.stock,
                            reason=StockAdjustment.Reason.INITIAL) for variant in variants if variant.stock]
    StockAdjustment.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic(savepoint=False)
def stock_import(*, levels: Sequence[tuple[Variant, int]], user_id: int | None) -> int:
    """Set the stock of many locked variants at once (CSV import): one UPDATE, one INSERT of history.

    `levels` pairs each variant (as loaded under the caller's lock, or just created with none)
    with its new stock; unchanged ones are skipped. No outbox event of its own: the import
    publishes every product it touched once per chunk, in the same transaction.
    """
    changed: list[Variant] = []
    adjustments: list[StockAdjustment] = []
    for variant, stock in levels:
        if stock == variant.stock:
            continue
        adjustments.append(StockAdjustment(variant=variant, delta=stock - variant.stock, stock_after=stock,
                                           reason=StockAdjustment.Reason.IMPORT, user_id=user_id))
        variant.stock = stock
        changed.append(variant)
    if changed:
        Variant.objects.bulk_update(changed, ["stock"])
        StockAdjustment.objects.bulk_create(adjustments)
    return len(changed)


@transaction.atomic(savepoint=False)  # a savepoint would add two statements per vendor to every checkout
def stock_reserve(*, lines: Iterable[StockLine], note: str, user_id: int | None = None,
                  user_email: str = "") -> dict[int, int]:
    """Take units as sold, all or none: the stock left per variant, or `StockShort`.

    One conditional `UPDATE … RETURNING` per variant, in variant order (no deadlocks between
    checkouts), one insert of the history, one outbox write for the listings. Run it inside the
    caller's transaction: a `StockShort` rolls back the lines already taken.
    """
    sql = _STOCK_TAKE_SQL.format(table=_variant_table())
    stock_after: dict[int, int] = {}
    products: set[int] = set()
    adjustments = []
    with connection.cursor() as cursor:
        for variant_id, quantity in _by_variant(lines):
            cursor.execute(sql, [quantity, variant_id, quantity])
            row = cursor.fetchone()
            if row is None:
                raise StockShort(_("Not enough stock."), variant_id=variant_id)
            stock_after[variant_id], product_id = row
            products.add(product_id)
            adjustments.append(StockAdjustment(
                variant_id=variant_id, delta=-quantity, stock_after=row[0], reason=StockAdjustment.Reason.SOLD,
                note=note[:200], user_id=user_id, user_email=user_email,
            ))
    StockAdjustment.objects.bulk_create(adjustments)
    _publish(products)
    return stock_after


@transaction.atomic(savepoint=False)
def _stock_give(*, lines: Iterable[StockLine], reason: str, note: str, user_id: int | None,
                user_email: str) -> dict[int, int]:
    sql = _STOCK_GIVE_SQL.format(table=_variant_table())
    stock_after: dict[int, int] = {}
    products: set[int] = set()
    adjustments = []
    with connection.cursor() as cursor:
        for variant_id, quantity in _by_variant(lines):
            if quantity <= 0:
                continue
            cursor.execute(sql, [quantity, variant_id])
            row = cursor.fetchone()
            if row is None:  # the vendor deleted the variant since: nothing to give back to
                continue
            stock_after[variant_id], product_id = row
            products.add(product_id)
            adjustments.append(StockAdjustment(
                variant_id=variant_id, delta=quantity, stock_after=row[0], reason=reason,
                note=note[:200], user_id=user_id, user_email=user_email,
            ))
    if adjustments:
        StockAdjustment.objects.bulk_create(adjustments)
        _publish(products)
    return stock_after


def stock_release(*, lines: Iterable[StockLine], note: str, user_id: int | None = None,
                  user_email: str = "") -> dict[int, int]:
    """Give back units that were reserved and will not ship (an order or a line cancelled).

    Variants deleted since are skipped; the stock after, per variant given back.
    """
    return _stock_give(lines=lines, reason=StockAdjustment.Reason.CORRECTION, note=note, user_id=user_id,
                       user_email=user_email)


def stock_restock(*, lines: Iterable[StockLine], note: str, user_id: int | None = None,
                  user_email: str = "") -> dict[int, int]:
    """Put units that a buyer sent back on sale again (a return received).

    Variants deleted since are skipped; the stock after, per variant restocked.
    """
    return _stock_give(lines=lines, reason=StockAdjustment.Reason.RETURNED, note=note, user_id=user_id,
                       user_email=user_email)
