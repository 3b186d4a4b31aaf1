"""Fixtures for transfers, payouts, money pages and exports: a paid two-vendor order through the
real payment path, to connected vendors (the emulator and `connected`: tests/fixtures/stripe.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def two_vendor_order(paid_order: Callable[..., Any], vendor_a: Any, vendor_b: Any, connected: Any) -> Any:
    """A paid order: 2 × 15.00 from alpha and 1 × 9.00 from bravo (default commission rules)."""
    from tests.factories.orders import sellable_variant

    va = sellable_variant(vendor_a, price=1500, stock=10)
    vb = sellable_variant(vendor_b, price=900, stock=10)
    return paid_order((vendor_a, va, 2), (vendor_b, vb, 1))
