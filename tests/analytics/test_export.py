"""The daily Parquet export: the day's events, read back; bad days refused by the command."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pyarrow.parquet as pq
import pytest
from django.core.files.storage import FileSystemStorage
from django.core.management import CommandError, call_command

from analytics.exports import events_export_day
from analytics.services import events_insert

pytestmark = pytest.mark.django_db
DAY = date(2026, 3, 10)


def test_a_days_events_are_written_as_parquet_and_rewritten_whole(tmp_path):
    moment = datetime.combine(DAY, time(9), tzinfo=UTC)
    events_insert([
        {"occurred_at": moment, "kind": "view", "visitor": "a" * 32, "vendor_id": 7, "product_id": 3},
        {"occurred_at": moment, "kind": "purchase", "vendor_id": 7, "product_id": 3, "order_id": 9, "quantity": 2,
         "amount": 3000, "commission": 300, "currency": "EUR"},
        {"occurred_at": datetime.combine(date(2026, 3, 11), time(0), tzinfo=UTC), "kind": "view", "visitor": "b" * 32},
    ])
    storage = FileSystemStorage(location=tmp_path)
    name, rows = events_export_day(day=DAY, storage=storage)
    assert rows == 2 and name == "2026/03/10/events-2026-03-10.parquet"
    table = pq.read_table(tmp_path / name).to_pylist()
    assert [(r["kind"], r["vendor_id"], r["amount"], r["currency"]) for r in table] == [
        ("view", 7, 0, ""), ("purchase", 7, 3000, "EUR")]
    assert events_export_day(day=DAY, storage=storage) == (name, 2)  # the same file, not a second one
    assert len(list((tmp_path / "2026/03/10").iterdir())) == 1


@pytest.mark.parametrize("day", ["2026-13-01", "tomorrow", "2999-01-01"])
def test_the_command_refuses_a_bad_or_unfinished_day(day):
    with pytest.raises(CommandError):
        call_command("analytics_export_events", "--day", day)
