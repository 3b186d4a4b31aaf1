"""Vendors' shipping tables as orders sees them: an interface the fulfilment app implements.

The tables live in each vendor's schema (fulfilment comes after orders, docs/adr/0041), so orders
never imports them: FulfillmentConfig.ready registers the reader here. Without one, no vendor has
a table and checkout refuses every cart with a clear message (never a made-up rate).
"""

from __future__ import annotations

from typing import Protocol

from orders.shipping import VendorShipping
from vendors.models import Vendor


class ShippingTables(Protocol):
    def tables(self, *, vendors: list[Vendor]) -> dict[int, VendorShipping | None]:
        """Each vendor's table by vendor id, read in its own schema; None for a vendor with none."""
        ...


class _NoShippingTables:
    def tables(self, *, vendors: list[Vendor]) -> dict[int, VendorShipping | None]:
        return dict.fromkeys((vendor.pk for vendor in vendors), None)


_tables: ShippingTables = _NoShippingTables()


def shipping_tables_register(implementation: ShippingTables) -> None:
    global _tables
    _tables = implementation


def shipping_tables() -> ShippingTables:
    return _tables
