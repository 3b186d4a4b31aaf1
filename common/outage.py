"""Which errors mean "a backing service is briefly unavailable": answered 503 with Retry-After."""

from __future__ import annotations

from django.conf import settings
from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# The database restarting or failing over (connection refused or dropped, "the database system is
# shutting down", a serialisation failure or deadlock), and the cache or broker unreachable: the
# same request will very likely succeed in a few seconds, so the client is told to try again
# rather than shown a server error. A write in flight was in a transaction that rolled back.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError,
)


def is_transient_outage(exc: BaseException | None) -> bool:
    """True when `exc` (or an error it was raised from) is a backing service being unavailable."""
    seen = 0
    while exc is not None and seen < 5:  # wrapped errors (e.g. a cache backend's) keep the cause
        if isinstance(exc, TRANSIENT_ERRORS):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def retry_after_seconds() -> int:
    return int(settings.SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS)
