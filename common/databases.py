"""Which database a read goes to: the primary, or the read replica for reads that tolerate lag."""

from __future__ import annotations

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

REPLICA = "replica"


def replica_alias() -> str:
    """The read replica's alias when `DATABASE_REPLICA_URL` configures one, else the primary's.

    Only for reads of the listing projection (search, category and product pages): it is written
    by the projection task, so it is already behind the catalog by design, and a replica's lag
    adds little. Writes, checkout, money and anything read right after a write use the primary.
    """
    return REPLICA if REPLICA in settings.DATABASES else DEFAULT_DB_ALIAS
