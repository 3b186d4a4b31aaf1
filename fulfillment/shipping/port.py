"""Fulfilment's implementation of orders' `ShippingTables` (registered by FulfillmentConfig.ready).

Each vendor's table is read in its own schema and cached under that schema (the cache key function
prefixes the schema of the connection) and under the table's revision, which every change
replaces: one small query per vendor on a hit, never a stale or another vendor's table.
"""

from __future__ import annotations

from django.core.cache import cache
from django_tenants.utils import schema_context

from fulfillment.shipping.selectors import shipping_revision, shipping_table
from orders.shipping import VendorShipping
from vendors.models import Vendor

CACHE_SECONDS = 3600


def _cache_key(revision: str, currency: str) -> str:
    return f"shipping-table:{revision}:{currency}"


class VendorShippingTables:
    def tables(self, *, vendors: list[Vendor]) -> dict[int, VendorShipping | None]:
        found: dict[int, VendorShipping | None] = {}
        for vendor in vendors:
            store = vendor.store
            if store is None:
                found[vendor.pk] = None
                continue
            with schema_context(store.schema_name):
                found[vendor.pk] = self._table(vendor.currency)
        return found

    @staticmethod
    def _table(currency: str) -> VendorShipping | None:
        revision = shipping_revision()
        if revision is None:
            return None
        key = _cache_key(revision, currency)
        table = cache.get(key)
        if table is None:
            table = shipping_table(currency=currency)
            cache.set(key, table, CACHE_SECONDS)
        return table
