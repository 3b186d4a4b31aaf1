"""The visitor id: a keyed hash of address and browser that cannot be reversed and changes daily.

HMAC-SHA256 with a salt derived from a secret setting and the date, so the same person is one
visitor within a UTC day and an unrelated one the next; the salt is never stored, so a stored id
cannot be tied back to an address even by whoever holds the table (docs/adr/0083).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from django.conf import settings


def daily_salt(day: date) -> bytes:
    secret = (settings.ANALYTICS_VISITOR_SECRET or settings.SECRET_KEY).encode()
    return hmac.new(secret, f"analytics-visitor:{day.isoformat()}".encode(), hashlib.sha256).digest()


def visitor_id(*, ip: str, user_agent: str, day: date) -> str:
    """32 hex characters (128 bits), the same for one address and browser on one day."""
    message = f"{ip}\x1f{user_agent}".encode()
    return hmac.new(daily_salt(day), message, hashlib.sha256).hexdigest()[:32]
