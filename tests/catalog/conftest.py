from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def relay(in_schema: Any) -> Any:
    """`relay(vendor)`: publish the vendor's pending outbox events now (what the task does)."""
    from catalog.services import outbox_publish_pending

    def run(vendor: Any) -> int:
        with in_schema(vendor):
            return outbox_publish_pending()

    return run


@pytest.fixture(autouse=True)
def _fresh_search_cache() -> None:
    """Facets cached by an earlier (rolled back) test must not be served to this one."""
    from marketplace.search import projection_changed

    projection_changed()
