"""Fixtures of the analytics tests: an empty event buffer, and events written straight to the table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


@pytest.fixture
def event_buffer() -> Iterator[Any]:
    """The Valkey buffer of page events and its dedupe keys, empty before and after the test."""
    from django_redis import get_redis_connection

    from analytics.services import BUFFER_KEY, FLUSH_LOCK_KEY, SEEN_PREFIX

    valkey = get_redis_connection("default")

    def clear() -> None:
        keys = [BUFFER_KEY, FLUSH_LOCK_KEY, *valkey.scan_iter(f"{SEEN_PREFIX}*", count=1000)]
        valkey.delete(*keys)

    clear()
    yield valkey
    clear()
