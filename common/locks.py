"""Session-level PostgreSQL advisory locks: who is running a piece of background work right now."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# The first key of each kind of work (the second is the row's id); printable tags, as int4.
EXPORT_JOB = 0x45585054  # "EXPT"


@contextmanager
def advisory_lock_try(kind: int, object_id: int) -> Iterator[bool]:
    """Yield whether this connection now holds the lock of (`kind`, `object_id`); release it after.

    A session lock outlives transactions and dies with the connection, so a worker killed mid-task
    frees it at once: "held" means a live process is working on it, "free" that nobody is, even if
    the row says running.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [kind, object_id])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [kind, object_id])


def advisory_lock_free(kind: int, object_id: int) -> bool:
    """Whether no session holds the lock now (taken and given back at once to find out)."""
    with advisory_lock_try(kind, object_id) as acquired:
        return acquired


def schema_lock_kind(schema_name: str) -> int:
    """A lock kind per vendor schema, for work whose ids repeat from one schema to the next."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT hashtext(%s)", [f"schema:{schema_name}"])
        return int(cursor.fetchone()[0])
