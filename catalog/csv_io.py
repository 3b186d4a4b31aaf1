"""CSV import and export of products and variants (one row per variant, grouped by `handle`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from catalog.models import CsvImport, Product, Variant
from catalog.services import (
    InvalidProduct,
    description_sanitize,
    outbox_write_many,
    price_parse,
    vendor_currency,
)
from catalog.services.stock import stock_import
from common.locks import advisory_lock_free, advisory_lock_try, schema_lock_kind

MAX_CSV_BYTES = 20 * 1024 * 1024
MAX_REPORTED_ERRORS = 1000
CHUNK_ROWS = 500
# A waiting import whose task has not started after this long lost its message (the beat queues it).
STALLED_AFTER = dt.timedelta(minutes=10)
REQUIRED_COLUMNS = ("handle", "name", "sku", "price")
COLUMNS = ("handle", "name", "status", "category", "description", "attributes", "sku", "options",
           "price", "compare_at_price", "currency", "stock", "weight_grams")


class CsvFileError(Exception):
    """The file as a whole cannot be read (encoding, headers)."""


@dataclass
class RowError:
    line: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass
class CleanRow:
    line: int
    handle: str
    name: str
    status: str | None
    category_id: int | None
    description: str | None
    attributes: dict[str, str] | None
    sku: str
    options: dict[str, str]
    price_amount: int
    compare_at_amount: int | None
    currency: str
    stock: int | None
    weight_grams: int | None


@dataclass
class ParsedFile:
    rows: list[CleanRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0


def _pairs(text: str) -> dict[str, str]:
    """'size=M; colour=red' → {'size': 'M', 'colour': 'red'}."""
    result: dict[str, str] = {}
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(_("%(part)r is not name=value") % {"part": part.strip()})
        result[key.strip().lower()[:30]] = value.strip()[:60]
    return result


def _whole(text: str, column: str, line: int, errors: list[RowError]) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        errors.append(RowError(line, column, _("must be a whole number")))
        return None
    if not 0 <= value <= 10**9:
        errors.append(RowError(line, column, _("must be between 0 and 1000000000")))
        return None
    return value


def csv_decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CsvFileError(_("The file is not UTF-8 text (first bad byte on line %(line)s). "
                             "Save it as “CSV UTF-8” and upload it again.") % {"line": line}) from exc


def csv_parse(text: str, *, currency: str, categories: dict[str, int]) -> ParsedFile:
    """Validate every row without touching the database; collect (line, column, message) errors."""
    if "\x00" in text:
        raise CsvFileError(_("The file contains NUL bytes; it is not a CSV text file."))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in headers]
    if missing:
        raise CsvFileError(_("Missing columns: %(missing)s. Expected: %(expected)s.") % {
            "missing": ", ".join(missing), "expected": ", ".join(COLUMNS)})
    reader.fieldnames = headers
    parsed = ParsedFile()
    seen_skus: dict[str, int] = {}
    handle_options: dict[str, tuple[str, ...]] = {}
    for record in reader:
        parsed.total += 1
        line = reader.line_num
        errors: list[RowError] = []

        def get(name: str, record: dict[str, Any] = record) -> str:
            return (record.get(name) or "").strip()

        if None in record:
            errors.append(RowError(line, "", _("has more cells than the header")))
        handle = slugify(get("handle"))[:100]
        if not handle:
            errors.append(RowError(line, "handle", _("is required (letters, digits, dashes)")))
        name = get("name")[:200]
        if not name:
            errors.append(RowError(line, "name", _("is required")))
        sku = get("sku")
        if not sku or len(sku) > 64:
            errors.append(RowError(line, "sku", _("is required (at most 64 characters)")))
        elif sku in seen_skus:
            errors.append(RowError(line, "sku", _("%(sku)s is already on line %(line)s") % {"sku": sku, "line": seen_skus[sku]}))
        row_currency = get("currency").upper() or currency
        if row_currency != currency:
            errors.append(RowError(line, "currency", _("must be %(currency)s, the store's currency") % {"currency": currency}))
        price = compare_at = None
        try:
            price = price_parse(get("price"), currency=currency)
        except InvalidProduct as exc:
            errors.append(RowError(line, "price", exc.message))
        if get("compare_at_price"):
            try:
                compare_at = price_parse(get("compare_at_price"), currency=currency)
            except InvalidProduct as exc:
                errors.append(RowError(line, "compare_at_price", exc.message))
        status = get("status").lower() or None
        if status and status not in Product.Status.values:
            errors.append(RowError(line, "status", _("must be draft, active or archived")))
        category_id = None
        if get("category"):
            category_id = categories.get(get("category").strip("/").lower())
            if category_id is None:
                errors.append(RowError(line, "category", _("unknown category %(category)r") % {"category": get("category")}))
        options: dict[str, str] = {}
        attributes = None
        try:
            options = _pairs(get("options"))
        except ValueError as exc:
            errors.append(RowError(line, "options", str(exc)))
        if len(options) > 3:
            errors.append(RowError(line, "options", _("at most 3 option types")))
        if handle and not errors:
            keys = tuple(options)
            if handle_options.setdefault(handle, keys) != keys:
                errors.append(RowError(line, "options", _("must use the same option types as the product's other rows")))
        if "attributes" in headers:
            try:
                attributes = _pairs(get("attributes"))
            except ValueError as exc:
                errors.append(RowError(line, "attributes", str(exc)))
        stock = _whole(get("stock"), "stock", line, errors)
        weight = _whole(get("weight_grams"), "weight_grams", line, errors)
        if errors:
            parsed.errors.extend(errors)
            continue
        seen_skus[sku] = line
        parsed.rows.append(CleanRow(
            line=line, handle=handle, name=name, status=status, category_id=category_id,
            description=record.get("description") if "description" in headers else None,
            attributes=attributes, sku=sku, options=options, price_amount=price or 0,
            compare_at_amount=compare_at, currency=currency, stock=stock, weight_grams=weight,
        ))
    return parsed


@transaction.atomic
def _import_chunk(rows: list[CleanRow], *, user_id: int | None) -> tuple[int, list[RowError]]:
    """Upsert the products (by handle) and variants (by SKU) of a chunk of clean rows."""
    errors: list[RowError] = []
    handles = {row.handle for row in rows}
    products = {p.handle: p for p in Product.objects.select_for_update().filter(handle__in=handles)}
    variants = {v.sku: v for v in Variant.objects.select_for_update().filter(sku__in=[r.sku for r in rows])}
    touched: set[int] = set()
    first_rows: dict[str, CleanRow] = {}
    for row in rows:
        first_rows.setdefault(row.handle, row)
    new_products = []
    for handle, row in first_rows.items():
        product = products.get(handle)
        wanted = {
            "name": row.name, "option_types": list(row.options),
            **({"status": row.status} if row.status else {}),
            **({"category_id": row.category_id} if row.category_id is not None else {}),
            **({"description": description_sanitize(row.description)} if row.description is not None else {}),
            **({"attributes": row.attributes} if row.attributes is not None else {}),
        }
        if product is None:
            new_products.append(Product(handle=handle, status=row.status or Product.Status.DRAFT,
                                        **{k: v for k, v in wanted.items() if k != "status"}))
            continue
        changed = [k for k, v in wanted.items() if getattr(product, k) != v]
        if changed:
            for k in changed:
                setattr(product, k, wanted[k])
            product.save(update_fields=[*changed, "updated_at"])
            touched.add(product.pk)
    for product in Product.objects.bulk_create(new_products):
        products[product.handle] = product
        touched.add(product.pk)
    creates: list[Variant] = []
    updates: list[Variant] = []
    levels: list[tuple[Variant, int]] = []
    new_stock: list[int] = []
    for row in rows:
        product = products[row.handle]
        variant = variants.get(row.sku)
        if variant is not None and variant.product_id != product.pk:
            errors.append(RowError(row.line, "sku", _("%(sku)s belongs to another product") % {"sku": row.sku}))
            continue
        values = {"price_amount": row.price_amount, "compare_at_amount": row.compare_at_amount,
                  "currency": row.currency, "options": row.options,
                  **({"weight_grams": row.weight_grams} if row.weight_grams is not None else {})}
        if variant is None:
            # Created with no stock; the stock module sets it below, with its history.
            variant = Variant(product=product, sku=row.sku, **values)
            creates.append(variant)
            new_stock.append(row.stock or 0)
            touched.add(product.pk)
            continue
        changed = [k for k, v in values.items() if getattr(variant, k) != v]
        if row.stock is not None and row.stock != variant.stock:
            levels.append((variant, row.stock))
            touched.add(product.pk)
        if changed:
            for k, v in values.items():
                setattr(variant, k, v)
            updates.append(variant)
            touched.add(product.pk)
    Variant.objects.bulk_create(creates)
    if updates:
        Variant.objects.bulk_update(updates, ["price_amount", "compare_at_amount", "currency", "options",
                                              "weight_grams", "updated_at"])
    levels += [(variant, row_stock) for variant, row_stock in zip(creates, new_stock, strict=True) if row_stock]
    stock_import(levels=levels, user_id=user_id)
    outbox_write_many(product_ids=sorted(touched))
    return len(rows) - len(errors), errors


def _chunks(rows: list[CleanRow]) -> Iterator[list[CleanRow]]:
    """Chunks of about CHUNK_ROWS rows that never split one product's rows."""
    chunk: list[CleanRow] = []
    by_handle: dict[str, list[CleanRow]] = {}
    for row in rows:
        by_handle.setdefault(row.handle, []).append(row)
    for group in by_handle.values():
        chunk.extend(group)
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _categories() -> dict[str, int]:
    from marketplace.models import Category

    return {path.lower(): pk for pk, path in Category.objects.values_list("pk", "path")}


def csv_import_run(*, import_id: int) -> CsvImport:
    """Run an import job: validate all rows, import the valid ones in chunks, report progress.

    Under the job's advisory lock: a second delivery while it runs stops; a run after a killed
    worker starts again, and rows upserted by handle and SKU are not imported twice.
    """
    with advisory_lock_try(schema_lock_kind(getattr(connection, "schema_name", "public")), import_id) as mine:
        job = CsvImport.objects.get(pk=import_id)
        if job.is_finished or not mine:
            return job
        # The report is read by the person who uploaded the file: in the language they used then.
        with translation.override(job.language or settings.LANGUAGE_CODE):
            return _csv_import_run(job)


def csv_imports_stalled(*, pending_before: dt.timedelta = STALLED_AFTER) -> list[int]:
    """This schema's imports whose task was lost: waiting long ago, or running with nobody holding
    their lock (the worker died)."""
    cutoff = timezone.now() - pending_before
    kind = schema_lock_kind(getattr(connection, "schema_name", "public"))
    return [
        pk for pk, status in CsvImport.objects.filter(
            Q(status=CsvImport.Status.PENDING, created_at__lt=cutoff) | Q(status=CsvImport.Status.RUNNING)
        ).values_list("pk", "status")
        if status == CsvImport.Status.PENDING or advisory_lock_free(kind, pk)
    ]


def _csv_import_run(job: CsvImport) -> CsvImport:
    CsvImport.objects.filter(pk=job.pk).update(status=CsvImport.Status.RUNNING)
    try:
        try:
            with job.file.open("rb") as handle:
                raw = handle.read(MAX_CSV_BYTES + 1)
        except OSError as exc:  # gone from storage (removed, or uploaded before it moved)
            raise CsvFileError(_("The uploaded file is no longer available; please upload it again.")) from exc
        if len(raw) > MAX_CSV_BYTES:
            raise CsvFileError(_("CSV files are at most 20 MB."))
        parsed = csv_parse(csv_decode(raw), currency=vendor_currency(), categories=_categories())
    except (CsvFileError, csv.Error) as exc:
        CsvImport.objects.filter(pk=job.pk).update(status=CsvImport.Status.FAILED, failure=str(exc)[:500])
        job.refresh_from_db()
        return job
    errors = list(parsed.errors)
    CsvImport.objects.filter(pk=job.pk).update(total_rows=parsed.total, processed_rows=len(parsed.errors))
    imported = 0
    processed = len(parsed.errors)
    for chunk in _chunks(parsed.rows):
        count, chunk_errors = _import_chunk(chunk, user_id=job.user_id)
        imported += count
        errors += chunk_errors
        processed += len(chunk)
        CsvImport.objects.filter(pk=job.pk).update(processed_rows=processed, imported_rows=imported)
    errors.sort(key=lambda e: e.line)
    CsvImport.objects.filter(pk=job.pk).update(
        status=CsvImport.Status.DONE, processed_rows=parsed.total, imported_rows=imported,
        error_rows=len({e.line for e in errors}),
        errors=[e.as_dict() for e in errors[:MAX_REPORTED_ERRORS]],
    )
    job.refresh_from_db()
    return job


def csv_export_rows() -> Iterator[str]:
    """The whole catalog as CSV in the import format (re-importing it changes nothing)."""
    from common.money import to_major
    from marketplace.models import Category

    paths = dict(Category.objects.values_list("pk", "path"))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    variants = Variant.objects.select_related("product").order_by("product_id", "position", "id")
    for variant in variants.iterator(chunk_size=1000):
        product = variant.product
        writer.writerow([
            product.handle, product.name, product.status, paths.get(product.category_id or 0, ""),
            product.description, "; ".join(f"{k}={v}" for k, v in product.attributes.items()), variant.sku,
            "; ".join(f"{k}={v}" for k, v in variant.options.items()),
            to_major(variant.price_amount, variant.currency),
            to_major(variant.compare_at_amount, variant.currency) if variant.compare_at_amount is not None else "",
            variant.currency, variant.stock, variant.weight_grams,
        ])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
    if buffer.getvalue():
        yield buffer.getvalue()
