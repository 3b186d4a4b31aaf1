"""Catalog tests: a fresh facet cache for every test (`relay` comes from tests/fixtures/catalog.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_search_cache(fresh_search_cache: None) -> None:
    """Facets cached by an earlier (rolled back) test must not be served to this one."""
