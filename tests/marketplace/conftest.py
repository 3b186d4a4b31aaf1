from tests.catalog.conftest import _fresh_search_cache, relay

__all__ = ["_fresh_search_cache", "relay"]
