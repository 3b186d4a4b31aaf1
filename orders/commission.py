"""Commission at checkout: an interface (`CommissionSource`) with the flat platform rate as default.

Commission rules belong to payouts, which comes after orders (docs/adr/0041): PayoutsConfig.ready
registers its rules here; without payouts every line gets `orders.pricing.fallback_commission`.
"""

from __future__ import annotations

from typing import Protocol

from orders.pricing import CommissionFn, fallback_commission


class CommissionSource(Protocol):
    def __call__(self, category_ids: set[int] | None = None, vendor_ids: set[int] | None = None) -> CommissionFn:
        """The commission function for one cart; the ids let it read what it needs once per cart."""
        ...


def _flat_rate(category_ids: set[int] | None = None, vendor_ids: set[int] | None = None) -> CommissionFn:
    return fallback_commission


_source: CommissionSource = _flat_rate


def commission_source_register(source: CommissionSource) -> None:
    global _source
    _source = source


def commission_for_cart(category_ids: set[int] | None = None, vendor_ids: set[int] | None = None) -> CommissionFn:
    return _source(category_ids, vendor_ids)
