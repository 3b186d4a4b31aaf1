"""The daily Parquet export of the events, for a warehouse beyond this database (docs/analytics.md):
one file per UTC day in the exports bucket (`analytics-events/YYYY/MM/DD/events-YYYY-MM-DD.parquet`),
written again whole when the day is exported again."""

from __future__ import annotations

import io
from datetime import date

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage
from django.db import connection, transaction

from analytics.rollups import day_bounds
from analytics.services import COLUMNS

BATCH = 50_000


def export_storage() -> Storage:
    from common.storage import exports_bucket, private_s3_storage

    bucket = exports_bucket()
    if bucket:
        return private_s3_storage(bucket, location="analytics-events")
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT / "analytics-events")


def export_name(day: date) -> str:
    return f"{day:%Y/%m/%d}/events-{day.isoformat()}.parquet"


def _schema() -> object:
    import pyarrow as pa

    return pa.schema([
        ("occurred_at", pa.timestamp("us", tz="UTC")), ("kind", pa.string()), ("visitor", pa.string()),
        ("vendor_id", pa.int64()), ("listing_id", pa.int64()), ("product_id", pa.int64()), ("order_id", pa.int64()),
        ("quantity", pa.int32()), ("amount", pa.int64()), ("commission", pa.int64()), ("currency", pa.string()),
        ("term", pa.string()), ("zero_results", pa.bool_()),
    ])


@transaction.atomic
def events_export_day(*, day: date, storage: Storage | None = None) -> tuple[str, int]:
    """Write the day's events as Parquet (streamed from a server-side cursor); (name, rows)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    storage = storage or export_storage()
    schema = _schema()
    start, end = day_bounds(day)
    buffer = io.BytesIO()
    rows = 0
    with pq.ParquetWriter(buffer, schema, compression="zstd") as writer, \
            connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM analytics_event "  # noqa: S608  # nosec B608  # constant columns
                       "WHERE occurred_at >= %s AND occurred_at < %s ORDER BY occurred_at, id", [start, end])
        while chunk := cursor.fetchmany(BATCH):
            columns = list(zip(*chunk, strict=True))
            writer.write_batch(pa.record_batch([pa.array(col, type=schema.field(i).type)  # type: ignore[attr-defined]
                                                for i, col in enumerate(columns)], schema=schema))
            rows += len(chunk)
    name = export_name(day)
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, ContentFile(buffer.getvalue()))
    return saved, rows
