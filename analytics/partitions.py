"""Monthly partitions of the event table: made ahead by a periodic task, so an event always has
its month's partition (the default partition catches anything earlier or later, and its rows
move into a month's partition when that month is made)."""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction

PARENT = "analytics_event"
DEFAULT = "analytics_event_default"


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_add(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{PARENT}_y{month.year:04d}m{month.month:02d}"


def partitions_existing() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace "
            "WHERE p.relname = %s AND n.nspname = 'public'", [PARENT])
        return {row[0] for row in cursor.fetchall()}


@transaction.atomic
def partition_ensure(month: date) -> bool:
    """Make the partition of `month` (first day) unless it exists; True when made. Rows of that
    month waiting in the default partition are moved into it (the only DELETE the table allows,
    under the maintenance flag its trigger checks)."""
    month = month_start(month)
    name = partition_name(month)
    if name in partitions_existing():
        return False
    start, end = month.isoformat(), month_add(month, 1).isoformat()
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE public.{PARENT} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM public.{DEFAULT} "  # noqa: S608  # nosec B608  # table names are constants here
                       "WHERE occurred_at >= %s AND occurred_at < %s)", [start, end])
        waiting = cursor.fetchone()[0]
        if waiting:
            cursor.execute(f"CREATE TEMP TABLE analytics_moving ON COMMIT DROP AS SELECT * FROM public.{DEFAULT} "  # noqa: S608  # nosec B608
                           "WHERE occurred_at >= %s AND occurred_at < %s", [start, end])
            cursor.execute("SET LOCAL analytics.maintenance = 'on'")
            cursor.execute(f"DELETE FROM public.{DEFAULT} WHERE occurred_at >= %s AND occurred_at < %s",  # noqa: S608  # nosec B608
                           [start, end])
        # DDL takes no bound parameters: the bounds are ISO dates made here, never input.
        cursor.execute(f"CREATE TABLE public.{name} PARTITION OF public.{PARENT} "
                       f"FOR VALUES FROM ('{start}') TO ('{end}')")
        if waiting:
            cursor.execute(f"INSERT INTO public.{PARENT} SELECT * FROM analytics_moving")  # noqa: S608  # nosec B608
    return True


def partitions_ensure(*, today: date, months_ahead: int = 3, months_back: int = 0) -> list[str]:
    """This month's partition and the next `months_ahead` (and `months_back` earlier ones)."""
    made = []
    for offset in range(-months_back, months_ahead + 1):
        month = month_add(month_start(today), offset)
        if partition_ensure(month):
            made.append(partition_name(month))
    return made
