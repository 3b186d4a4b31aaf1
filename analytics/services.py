"""Recording events: what pages noted (buffered in Valkey, flushed in batches) and what order
events say (purchases and refunds, inserted after their transaction commits).

A page pays one Valkey round trip after its response is built (a Lua script that drops repeats
and appends to a list); a periodic task moves the list into PostgreSQL with COPY
(docs/adr/0083, figures in docs/benchmarks.md).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from analytics.bots import is_bot
from analytics.models import Event
from analytics.visitors import visitor_id

logger = logging.getLogger(__name__)

BUFFER_KEY = "analytics:events"
FLUSH_LOCK_KEY = "analytics:flush-lock"
SEEN_PREFIX = "analytics:seen:"
PAGE_KINDS = frozenset({Event.Kind.VIEW, Event.Kind.SEARCH, Event.Kind.CART_ADD, Event.Kind.CHECKOUT})
COLUMNS = ("occurred_at", "kind", "visitor", "vendor_id", "listing_id", "product_id", "order_id",
           "quantity", "amount", "commission", "currency", "term", "zero_results")
TERM_MAX = 100

# Appends what was not seen from this visitor for this event and object in this minute; the
# buffer is capped so a stalled flush cannot fill the server's memory (what is over is dropped).
_CAPTURE_SCRIPT = """
local n = 0
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
for i = 3, #ARGV, 2 do
  if redis.call('SET', ARGV[i], '1', 'NX', 'EX', tonumber(ARGV[1])) then
    redis.call('RPUSH', KEYS[1], ARGV[i + 1])
    n = n + 1
  end
end
return n
"""


def _valkey() -> Any:
    from django_redis import get_redis_connection

    return get_redis_connection("default")


# Search terms are kept, the person who typed them never: anything that looks like an email
# address or a long number (a phone, a card, an order) is replaced.
_PERSONAL = re.compile(r"[^\s@]+@[^\s@]+|\+?\d[\d\s().-]{5,}\d")


def search_term_clean(term: str) -> str:
    text = " ".join(str(term or "").lower().split())
    return _PERSONAL.sub("[redacted]", text)[:TERM_MAX]


def _page_row(note: dict[str, Any], *, visitor: str, at: datetime) -> dict[str, Any] | None:
    kind = note.get("kind")
    if kind not in PAGE_KINDS:
        return None

    def number(name: str) -> int | None:
        value = note.get(name)
        return int(value) if isinstance(value, int) and not isinstance(value, bool) else None

    row = {"occurred_at": at.isoformat(), "kind": kind, "visitor": visitor,
           "vendor_id": number("vendor_id"), "listing_id": number("listing_id"),
           "product_id": number("product_id")}
    if kind == Event.Kind.SEARCH:
        row["term"] = search_term_clean(note.get("term", ""))
        row["zero_results"] = bool(note.get("zero_results"))
        if not row["term"]:
            return None
    return row


def _dedupe_key(row: dict[str, Any], minute: str) -> str:
    thing = row.get("term") or row.get("product_id") or row.get("listing_id") or row.get("vendor_id") or ""
    return f"{SEEN_PREFIX}{row['visitor']}:{row['kind']}:{thing}:{minute}"


def page_events_capture(*, notes: Sequence[dict[str, Any]], ip: str, user_agent: str,
                        at: datetime | None = None) -> int:
    """Buffer a request's page events: none from robots, each (visitor, event, object) once a
    minute however often it is repeated. Returns how many were buffered (-1: buffer full)."""
    if not notes or is_bot(user_agent):
        return 0
    at = (at or timezone.now()).astimezone(UTC)
    visitor = visitor_id(ip=ip, user_agent=user_agent, day=at.date())
    minute = at.strftime("%Y%m%d%H%M")
    args: list[Any] = [settings.ANALYTICS_DEDUPE_SECONDS, settings.ANALYTICS_BUFFER_MAX]
    for note in notes:
        row = _page_row(note, visitor=visitor, at=at)
        if row is not None:
            args += [_dedupe_key(row, minute), json.dumps(row, separators=(",", ":"))]
    if len(args) == 2:
        return 0
    valkey = _valkey()
    buffered = int(valkey.eval(_CAPTURE_SCRIPT, 1, BUFFER_KEY, *args))
    if buffered < 0:
        logger.warning("analytics buffer full (%s events): page events dropped", settings.ANALYTICS_BUFFER_MAX)
    return buffered


def events_insert(rows: Iterable[dict[str, Any]]) -> int:
    """COPY rows into the event table (PostgreSQL routes each to its month's partition)."""
    count = 0
    with connection.cursor() as cursor, cursor.copy(
        f"COPY analytics_event ({', '.join(COLUMNS)}) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(tuple(
                row.get(column, False if column == "zero_results" else
                        0 if column in ("quantity", "amount", "commission") else
                        "" if column in ("visitor", "currency", "term") else None)
                for column in COLUMNS))
            count += 1
    return count


def events_flush(*, batch: int = 5000) -> int:
    """Move the buffered page events into the table, a batch at a time; one flusher at a time
    (a lock), and a batch leaves the buffer only once its rows are committed."""
    valkey = _valkey()
    if not valkey.set(FLUSH_LOCK_KEY, "1", nx=True, ex=300):
        return 0
    total = 0
    try:
        while True:
            raw = valkey.lrange(BUFFER_KEY, 0, batch - 1)
            if not raw:
                break
            rows = []
            for item in raw:
                try:
                    rows.append(json.loads(item))
                except ValueError:
                    logger.warning("analytics: an unreadable buffered event was dropped")
            with transaction.atomic():
                events_insert(rows)
            valkey.ltrim(BUFFER_KEY, len(raw), -1)
            total += len(rows)
            if len(raw) < batch:
                break
    finally:
        valkey.delete(FLUSH_LOCK_KEY)
    return total


# --- purchases and refunds, from order events -----------------------------------------------------
def purchase_record(*, order_id: int) -> int:
    """One purchase event per line of a paid order, once (a replayed event records nothing)."""
    from orders.models import Order, OrderLine

    order = Order.objects.filter(pk=order_id).only("id", "paid_at", "currency").first()
    if order is None or Event.objects.filter(kind=Event.Kind.PURCHASE, order_id=order_id).exists():
        return 0
    at = order.paid_at or timezone.now()
    lines = OrderLine.objects.filter(order_id=order_id).values(
        "vendor_id", "product_id", "quantity", "line_amount", "commission_amount")
    return events_insert({
        "occurred_at": at, "kind": Event.Kind.PURCHASE, "vendor_id": line["vendor_id"],
        "product_id": line["product_id"], "order_id": order_id, "quantity": line["quantity"],
        "amount": line["line_amount"], "commission": line["commission_amount"], "currency": order.currency,
    } for line in lines)


def refund_record(*, vendor_id: int, order_id: int, amount: int, currency: str,
                  at: datetime | None = None) -> int:
    if amount <= 0:
        return 0
    return events_insert([{"occurred_at": at or timezone.now(), "kind": Event.Kind.REFUND,
                           "vendor_id": vendor_id, "order_id": order_id, "amount": amount,
                           "currency": currency}])
