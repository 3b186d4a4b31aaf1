"""Stock of the current schema's variants: the only writer of `Variant.stock`, its levels per
location and its history.

`Variant.stock` is the sellable total; `StockLevel` rows hold the units on hand per location, and
their sum equals the stock whenever it is not negative. Below zero the stock counts units sold on
backorder or pre-order and owed to buyers; every level is then zero, and units received pay the
debt first (docs/adr/0082).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from catalog.errors import InvalidStockAdjustment, StockShort
from catalog.models import StockAdjustment, StockBulkRequest, StockLevel, StockLocation, Variant
from catalog.services.outbox import outbox_write, outbox_write_many
from catalog.services.validation import _user_fields
from common.exceptions import Conflict

# One line of a stock change: (variant id, units).
StockLine = tuple[int, int]

# Take units only if they are all there, in one statement: concurrent checkouts queue on the
# row, and the loser's `WHERE` no longer matches, so nothing is ever oversold.
# A variant that may be sold beyond its stock (backorder, pre-order) goes below zero down to
# minus its `backorder_limit`, never further.
_STOCK_TAKE_SQL = ('UPDATE {table} SET "stock" = "stock" - %s WHERE "id" = %s AND "stock" + "backorder_limit" >= %s '
                   'RETURNING "stock", "product_id", "low_stock_threshold"')
_STOCK_GIVE_SQL = 'UPDATE {table} SET "stock" = "stock" + %s WHERE "id" = %s RETURNING "stock", "product_id"'

# The units a reservation takes from the levels of each variant: the default location first, then
# by priority (docs/adr/0082). Run after the variant rows are locked by the take above (every level
# writer locks its variant first), so this statement's snapshot sees every committed level.
_LEVELS_TAKE_SQL = """
WITH wanted(variant_id, units) AS (VALUES {values}),
ranked AS (
    SELECT l."id", l."quantity", w.units,
           COALESCE(SUM(l."quantity") OVER (
               PARTITION BY l."variant_id" ORDER BY s."is_default" DESC, s."priority", s."id"
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS taken_before
    FROM {level} l JOIN {location} s ON s."id" = l."location_id" JOIN wanted w ON w.variant_id = l."variant_id"
    WHERE l."quantity" > 0
)
UPDATE {level} l SET "quantity" = l."quantity" - LEAST(r."quantity", r.units - r.taken_before)
FROM ranked r WHERE l."id" = r."id" AND r.units > r.taken_before
"""
# Units put on hand at one location per variant, adding to its level (created when missing).
_LEVELS_GIVE_SQL = """
INSERT INTO {level} ("variant_id", "location_id", "quantity") VALUES {values}
ON CONFLICT ("variant_id", "location_id") DO UPDATE SET "quantity" = {level}."quantity" + EXCLUDED."quantity"
"""
_LEVELS_GIVE_ROW = '(%s, COALESCE(%s, (SELECT "id" FROM {location} WHERE "is_default")), %s)'
LOW_STOCK_TASK = "notifications.tasks.low_stock_alert"


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


def _quoted(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def stock_location_default() -> StockLocation:
    """The default location (made by the migration; made again if a schema somehow lacks one)."""
    location = StockLocation.objects.filter(is_default=True).first()
    if location is None:
        location, _created = StockLocation.objects.get_or_create(
            is_default=True, defaults={"name": _("Main warehouse")})
    return location


def low_stock_crossed(*, before: int, after: int, threshold: int) -> bool:
    """A decrease that brings the stock from above the alert level to it or below: once per crossing."""
    return before > threshold >= after


def _low_stock_alert_on_commit(variant_ids: Iterable[int]) -> None:
    """Queue the vendor team's low-stock notice (notifications' task, by name) after the commit."""
    ids = sorted(set(variant_ids))
    if not ids:
        return
    schema = getattr(connection, "schema_name", "public")

    def send() -> None:
        from celery import current_app

        with schema_context(schema):
            current_app.send_task(LOW_STOCK_TASK, args=[ids])

    transaction.on_commit(send)


def _levels_take(units: dict[int, int]) -> None:
    """Take units from each variant's levels (locked variants), default location first."""
    wanted = [(variant_id, count) for variant_id, count in sorted(units.items()) if count > 0]
    if not wanted:
        return
    sql = _LEVELS_TAKE_SQL.format(values=", ".join(["(%s::bigint, %s::integer)"] * len(wanted)),
                                  level=_quoted(StockLevel), location=_quoted(StockLocation))
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for pair in wanted for value in pair])


def _levels_give(units: dict[int, int], *, location_id: int | None) -> None:
    """Add units to each variant's level at one location (the default when None; locked variants)."""
    given = [(variant_id, count) for variant_id, count in sorted(units.items()) if count > 0]
    if not given:
        return
    # The default named in the statement itself: a give-back costs one statement, not two.
    row = _LEVELS_GIVE_ROW.format(location=_quoted(StockLocation))
    sql = _LEVELS_GIVE_SQL.format(values=", ".join([row] * len(given)), level=_quoted(StockLevel))
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for variant_id, count in given for value in (variant_id, location_id, count)])


def stock_levels_empty_drop(*, location: StockLocation) -> None:
    """Forget the empty levels of a location about to be deleted (refused if any holds units)."""
    if StockLevel.objects.filter(location=location, quantity__gt=0).exists():
        raise InvalidStockAdjustment(_("%(name)s still holds stock; move it first.") % {"name": location.name},
                                     fields={"location": ["not_empty"]})
    StockLevel.objects.filter(location=location).delete()


def owed_paid(*, stock_before: int, units: int) -> int:
    """Of `units` coming in, how many pay units owed to buyers (stock below zero) first."""
    return min(units, max(0, -stock_before))


def backordered_units(*, stock_after: int, units: int) -> int:
    """Of `units` just taken, how many were sold beyond the stock on hand."""
    return min(units, max(0, -stock_after))


def _level_change(*, variant: Variant, location: StockLocation, delta: int) -> None:
    """Apply `delta` at one location of a locked variant: a decrease only from what is there; an
    increase pays owed units first. Updates `variant.stock` in memory and in the database."""
    if delta < 0:
        taken = StockLevel.objects.filter(variant=variant, location=location, quantity__gte=-delta).update(
            quantity=F("quantity") + delta)
        if not taken:
            here = StockLevel.objects.filter(variant=variant, location=location).values_list(
                "quantity", flat=True).first() or 0
            raise InvalidStockAdjustment(
                _("%(location)s holds %(stock)s; stock cannot go below zero.") % {
                    "location": location.name, "stock": here},
                fields={"delta": ["below_zero"]})
    else:
        _levels_give({variant.pk: delta - owed_paid(stock_before=variant.stock, units=delta)},
                     location_id=location.pk)
    Variant.objects.filter(pk=variant.pk).update(stock=F("stock") + delta)
    variant.stock += delta


def _delta_check(delta: Any, reason: str) -> None:
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0 or abs(delta) > 10**9:
        raise InvalidStockAdjustment(_("The change must be a non-zero whole number."), fields={"delta": ["invalid"]})
    if reason not in StockAdjustment.Reason.values or reason == StockAdjustment.Reason.MOVED:
        raise InvalidStockAdjustment(_("Unknown reason."), fields={"reason": ["invalid"]})


@transaction.atomic
def stock_adjust(*, variant: Variant, delta: int, reason: str, note: str = "", user: Any = None,
                 location: StockLocation | None = None) -> StockAdjustment:
    """Change stock by `delta` at a location (the default when none; never below zero there) and
    record why and who."""
    _delta_check(delta, reason)
    variant = Variant.objects.select_for_update().get(pk=variant.pk)
    location = location or stock_location_default()
    before = variant.stock
    _level_change(variant=variant, location=location, delta=delta)
    adjustment = StockAdjustment.objects.create(
        variant=variant, location=location, delta=delta, stock_after=variant.stock, reason=reason,
        note=(note or "")[:200], **_user_fields(user),
    )
    if low_stock_crossed(before=before, after=variant.stock, threshold=variant.low_stock_threshold):
        _low_stock_alert_on_commit([variant.pk])
    outbox_write(product_id=variant.product_id)
    return adjustment


@transaction.atomic
def stock_move(*, variant: Variant, source: StockLocation, target: StockLocation, quantity: Any,
               note: str = "", user: Any = None) -> tuple[StockAdjustment, StockAdjustment]:
    """Move units of a variant between two locations, all or nothing; the total does not change."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 < quantity <= 10**9:
        raise InvalidStockAdjustment(_("The quantity must be a positive whole number."),
                                     fields={"quantity": ["invalid"]})
    if source.pk == target.pk:
        raise InvalidStockAdjustment(_("Choose two different locations."), fields={"target": ["same_location"]})
    variant = Variant.objects.select_for_update().get(pk=variant.pk)
    taken = StockLevel.objects.filter(variant=variant, location=source, quantity__gte=quantity).update(
        quantity=F("quantity") - quantity)
    if not taken:
        here = StockLevel.objects.filter(variant=variant, location=source).values_list("quantity", flat=True).first()
        raise InvalidStockAdjustment(
            _("%(location)s holds %(stock)s of %(sku)s; %(quantity)s cannot be moved.") % {
                "location": source.name, "stock": here or 0, "sku": variant.sku, "quantity": quantity},
            fields={"quantity": ["below_zero"]})
    _levels_give({variant.pk: quantity}, location_id=target.pk)
    fields = {"variant": variant, "stock_after": variant.stock, "reason": StockAdjustment.Reason.MOVED,
              "note": (note or "")[:200], **_user_fields(user)}
    out = StockAdjustment(location=source, delta=-quantity, **fields)
    into = StockAdjustment(location=target, delta=quantity, **fields)
    StockAdjustment.objects.bulk_create([out, into])
    return out, into


@transaction.atomic(savepoint=False)
def stock_set_initial(*, variant: Variant, stock: int, user: Any = None) -> None:
    """The first stock of a variant just created (with none), and its history row.

    No outbox event of its own: the only callers create the variant inside a catalog service that
    publishes the product once, after all its variants, in the same transaction.
    """
    if not stock:
        return
    location = stock_location_default()
    Variant.objects.filter(pk=variant.pk).update(stock=stock)
    variant.stock = stock
    StockLevel.objects.create(variant=variant, location=location, quantity=stock)
    StockAdjustment.objects.create(
        variant=variant, location=location, delta=stock, stock_after=stock, reason=StockAdjustment.Reason.INITIAL,
        **_user_fields(user),
    )


def stock_history_initial_many(*, variants: Iterable[Variant]) -> int:
    """The INITIAL history rows of variants bulk-created with their first stock (the demo catalog).

    The caller created the variants with `stock` set and publishes their products itself.
    """
    location = stock_location_default()
    stocked = [variant for variant in variants if variant.stock > 0]
    StockLevel.objects.bulk_create([StockLevel(variant=v, location=location, quantity=v.stock) for v in stocked])
    rows = [StockAdjustment(variant=variant, location=location, delta=variant.stock, stock_after=variant.stock,
                            reason=StockAdjustment.Reason.INITIAL) for variant in stocked]
    StockAdjustment.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic(savepoint=False)
def stock_import(*, levels: Sequence[tuple[Variant, int]], user_id: int | None) -> int:
    """Set the stock of many locked variants at once (CSV import): one UPDATE, one INSERT of history.

    `levels` pairs each variant (as loaded under the caller's lock, or just created with none)
    with its new stock (the sellable total); unchanged ones are skipped. A rise is received at the
    default location; a fall is taken from the locations as a reservation would. No outbox event
    of its own: the import publishes every product it touched once per chunk, in the same transaction.
    """
    changed: list[Variant] = []
    adjustments: list[StockAdjustment] = []
    rises: dict[int, int] = {}
    falls: dict[int, int] = {}
    crossed: list[int] = []
    for variant, stock in levels:
        if stock == variant.stock:
            continue
        delta = stock - variant.stock
        if delta > 0:
            rises[variant.pk] = delta - owed_paid(stock_before=variant.stock, units=delta)
        else:
            falls[variant.pk] = -delta
            if low_stock_crossed(before=variant.stock, after=stock, threshold=variant.low_stock_threshold):
                crossed.append(variant.pk)
        adjustments.append(StockAdjustment(variant=variant, delta=delta, stock_after=stock,
                                           reason=StockAdjustment.Reason.IMPORT, user_id=user_id))
        variant.stock = stock
        changed.append(variant)
    if changed:
        Variant.objects.bulk_update(changed, ["stock"])
        _levels_take(falls)
        _levels_give(rises, location_id=None)
        StockAdjustment.objects.bulk_create(adjustments)
        _low_stock_alert_on_commit(crossed)
    return len(changed)


@transaction.atomic(savepoint=False)  # a savepoint would add two statements per vendor to every checkout
def stock_reserve(*, lines: Iterable[StockLine], note: str, user_id: int | None = None,
                  user_email: str = "") -> dict[int, int]:
    """Take units as sold, all or none: the stock left per variant, or `StockShort`.

    One conditional `UPDATE … RETURNING` per variant, in variant order (no deadlocks between
    checkouts), one update of the levels (default location first), one insert of the history, one
    outbox write for the listings. A variant sold on backorder or pre-order goes below zero (at
    most its `backorder_limit`); `backordered_units` tells from the stock left how many of the
    units were sold beyond stock. Run it inside the caller's transaction: a `StockShort` rolls
    back the lines already taken.
    """
    sql = _STOCK_TAKE_SQL.format(table=_variant_table())
    stock_after: dict[int, int] = {}
    from_levels: dict[int, int] = {}
    products: set[int] = set()
    crossed: list[int] = []
    adjustments = []
    with connection.cursor() as cursor:
        for variant_id, quantity in _by_variant(lines):
            cursor.execute(sql, [quantity, variant_id, quantity])
            row = cursor.fetchone()
            if row is None:
                raise StockShort(_("Not enough stock."), variant_id=variant_id)
            stock_after[variant_id], product_id, threshold = row
            from_levels[variant_id] = quantity - backordered_units(stock_after=row[0], units=quantity)
            if low_stock_crossed(before=row[0] + quantity, after=row[0], threshold=threshold):
                crossed.append(variant_id)
            products.add(product_id)
            adjustments.append(StockAdjustment(
                variant_id=variant_id, delta=-quantity, stock_after=row[0], reason=StockAdjustment.Reason.SOLD,
                note=note[:200], user_id=user_id, user_email=user_email,
            ))
    _levels_take(from_levels)
    StockAdjustment.objects.bulk_create(adjustments)
    _publish(products)
    _low_stock_alert_on_commit(crossed)
    return stock_after


@transaction.atomic(savepoint=False)
def _stock_give(*, lines: Iterable[StockLine], reason: str, note: str, user_id: int | None,
                user_email: str) -> dict[int, int]:
    sql = _STOCK_GIVE_SQL.format(table=_variant_table())
    stock_after: dict[int, int] = {}
    to_levels: dict[int, int] = {}
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
            # Units that were owed (sold on backorder) are no longer owed; the rest are on hand.
            to_levels[variant_id] = quantity - owed_paid(stock_before=row[0] - quantity, units=quantity)
            products.add(product_id)
            adjustments.append(StockAdjustment(
                variant_id=variant_id, delta=quantity, stock_after=row[0], reason=reason,
                note=note[:200], user_id=user_id, user_email=user_email,
            ))
    if adjustments:
        _levels_give(to_levels, location_id=None)
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


@transaction.atomic
def stock_policy_set(*, variant: Variant, policy: Any, backorder_limit: Any = 0, available_on: Any = None) -> Variant:
    """Whether a variant may be sold beyond its stock: denied, on backorder up to a limit, or as a
    pre-order with the date it ships from. A limit below the units already owed is refused."""
    if policy not in Variant.InventoryPolicy.values:
        raise InvalidStockAdjustment(_("Unknown inventory policy."), fields={"inventory_policy": ["invalid"]})
    if policy == Variant.InventoryPolicy.DENY:
        backorder_limit = 0
    if isinstance(backorder_limit, bool) or not isinstance(backorder_limit, int) or not 0 <= backorder_limit <= 10**6:
        raise InvalidStockAdjustment(_("The limit must be a whole number from 0 to 1,000,000."),
                                     fields={"backorder_limit": ["invalid"]})
    if policy == Variant.InventoryPolicy.PREORDER and available_on is None:
        raise InvalidStockAdjustment(_("A pre-order needs the date it ships from."),
                                     fields={"available_on": ["required"]})
    variant = Variant.objects.select_for_update().get(pk=variant.pk)
    if variant.stock + backorder_limit < 0:
        raise InvalidStockAdjustment(
            _("%(owed)s units are already sold beyond stock; the limit cannot be lower.") % {"owed": -variant.stock},
            fields={"backorder_limit": ["below_owed"]})
    variant.inventory_policy, variant.backorder_limit, variant.available_on = policy, backorder_limit, available_on
    variant.save(update_fields=["inventory_policy", "backorder_limit", "available_on", "updated_at"])
    outbox_write(product_id=variant.product_id)
    return variant


MAX_BULK_ROWS = 500
_BULK_REASONS = {StockAdjustment.Reason.RECEIVED, StockAdjustment.Reason.CORRECTION, StockAdjustment.Reason.DAMAGED,
                 StockAdjustment.Reason.RETURNED}


@dataclass(frozen=True)
class BulkRow:
    index: int
    variant: Variant
    location: StockLocation
    set_to: int | None
    adjust: int | None
    reason: str
    note: str


def _whole(value: Any, *, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def _bulk_row_parse(index: int, row: Any, variants: dict[str, Variant], locations: dict[int, StockLocation],
                    default: StockLocation) -> tuple[BulkRow | None, dict[str, list[str]]]:
    if not isinstance(row, dict):
        return None, {"row": [_("Each row must be an object.")]}
    errors: dict[str, list[str]] = {}
    variant = variants.get(str(row.get("sku") or ""))
    if variant is None:
        errors["sku"] = [_("No variant has this SKU.")]
    location = default if row.get("location_id") in (None, "") else locations.get(row.get("location_id"))  # type: ignore[arg-type]
    if location is None:
        errors["location_id"] = [_("No such location.")]
    has_set, has_adjust = "set" in row, "adjust" in row
    set_to = _whole(row.get("set"), low=0, high=10**9) if has_set else None
    adjust = _whole(row.get("adjust"), low=-(10**9), high=10**9) if has_adjust else None
    if has_set == has_adjust:
        errors["set"] = [_("Give either set or adjust.")]
    elif has_set and set_to is None:
        errors["set"] = [_("Must be a whole number from 0.")]
    elif has_adjust and not adjust:
        errors["adjust"] = [_("Must be a non-zero whole number.")]
    reason = str(row.get("reason") or StockAdjustment.Reason.CORRECTION)
    if reason not in _BULK_REASONS:
        errors["reason"] = [_("Unknown reason.")]
    if errors:
        return None, errors
    assert variant is not None and location is not None
    return BulkRow(index=index, variant=variant, location=location, set_to=set_to, adjust=adjust, reason=reason,
                   note=str(row.get("note") or "")[:200]), {}


def _bulk_rows(rows: Any) -> list[BulkRow]:
    """Every row checked before anything changes; the variants locked in id order."""
    if not isinstance(rows, list) or not 0 < len(rows) <= MAX_BULK_ROWS:
        raise InvalidStockAdjustment(_("Send from 1 to %(max)s rows.") % {"max": MAX_BULK_ROWS},
                                     fields={"rows": ["invalid"]})
    skus = {str(row.get("sku")) for row in rows if isinstance(row, dict) and row.get("sku")}
    variants = {v.sku: v for v in Variant.objects.select_for_update().filter(sku__in=skus).order_by("pk")}
    locations = StockLocation.objects.in_bulk()
    default = stock_location_default()
    parsed, problems = [], []
    for index, row in enumerate(rows):
        bulk_row, errors = _bulk_row_parse(index, row, variants, locations, default)
        if errors:
            problems.append({"row": index, "sku": str(row.get("sku", "")) if isinstance(row, dict) else "",
                             "fields": errors})
        elif bulk_row is not None:
            parsed.append(bulk_row)
    _bulk_refuse(problems)
    return parsed


def _bulk_refuse(problems: list[dict[str, Any]]) -> None:
    if problems:
        raise InvalidStockAdjustment(
            _("%(count)s row(s) cannot be applied; nothing was changed.") % {"count": len(problems)},
            fields={"rows": problems})  # type: ignore[dict-item]


def _bulk_apply(row: BulkRow, user: Any) -> tuple[StockAdjustment | None, bool]:
    """One row on its locked variant: its history row (none when nothing changes), and whether it
    brought the variant down to its alert level."""
    variant = row.variant
    if row.set_to is not None:
        here = StockLevel.objects.filter(variant=variant, location=row.location).values_list("quantity", flat=True)
        delta = row.set_to - (here.first() or 0)
    else:
        delta = row.adjust or 0
    if not delta:
        return None, False
    before = variant.stock
    _level_change(variant=variant, location=row.location, delta=delta)
    adjustment = StockAdjustment(variant=variant, location=row.location, delta=delta, stock_after=variant.stock,
                                 reason=row.reason, note=row.note, **_user_fields(user))
    return adjustment, low_stock_crossed(before=before, after=variant.stock, threshold=variant.low_stock_threshold)


@transaction.atomic
def _stock_bulk_apply(*, rows: Any, user: Any) -> list[dict[str, Any]]:
    parsed = _bulk_rows(rows)
    adjustments, crossed, problems = [], [], []
    for row in parsed:
        try:
            adjustment, low = _bulk_apply(row, user)
        except InvalidStockAdjustment as error:
            problems.append({"row": row.index, "sku": row.variant.sku, "fields": {"adjust" if row.adjust else "set":
                                                                                 [error.message]}})
            continue
        if adjustment is not None:
            adjustments.append(adjustment)
        if low:
            crossed.append(row.variant.pk)
    _bulk_refuse(problems)  # raised inside the transaction: every row applied so far is undone
    StockAdjustment.objects.bulk_create(adjustments)
    _publish(row.variant.product_id for row in parsed)
    _low_stock_alert_on_commit(crossed)
    levels = {(lv.variant_id, lv.location_id): lv.quantity for lv in StockLevel.objects.filter(
        variant_id__in={row.variant.pk for row in parsed})}
    return [{"row": row.index, "sku": row.variant.sku, "location_id": row.location.pk,
             "quantity": levels.get((row.variant.pk, row.location.pk), 0), "stock": row.variant.stock}
            for row in parsed]


def stock_bulk_update(*, rows: Any, user: Any = None, idempotency_key: str = "") -> list[dict[str, Any]]:
    """Set or adjust the stock of many variants at their locations in one transaction: every row
    applies or none does (the refusal lists each bad row). With an idempotency key, a retry of
    the same rows gets the first answer and changes nothing again; other rows under it are refused."""
    key = (idempotency_key or "").strip()[:100]
    if not key:
        return _stock_bulk_apply(rows=rows, user=user)
    fingerprint = hashlib.sha256(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()
    with transaction.atomic():
        try:
            # A concurrent request with the same key waits here until this one commits or rolls back.
            with transaction.atomic():
                record = StockBulkRequest.objects.create(key=key, fingerprint=fingerprint)
        except IntegrityError:
            record = StockBulkRequest.objects.get(key=key)
            if record.fingerprint != fingerprint:
                raise Conflict(_("This idempotency key was used for other rows."),
                               code="idempotency_key_reused") from None
            return list(record.result)
        record.result = _stock_bulk_apply(rows=rows, user=user)
        record.save(update_fields=["result"])
        return list(record.result)
