"""Fixtures for transfers, payouts, money pages and exports: the emulator, paid orders, vendors
with connected accounts that finished onboarding on the emulator."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from tests.orders import conftest as _orders
from tests.orders.conftest import ADDRESS_DE, deliver, flush, resign, wait_until

# The checkout tests' fixtures, shared (the emulator, captured webhooks, a paid order).
emulator = _orders.emulator
webhooks = _orders.webhooks
shopper = _orders.shopper
paid_order = _orders.paid_order

__all__ = ["ADDRESS_DE", "deliver", "flush", "resign", "wait_until"]


def emulator_post(emulator: Any, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(emulator.url + path, data=json.dumps(body or {}).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def connect(vendor: Any, emulator: Any) -> str:
    """Give the vendor an emulator Express account that finished onboarding."""
    from payments import gateway
    from vendors.models import Vendor

    account = gateway.account_create(vendor_id=vendor.pk, country="DE", email=f"{vendor.slug}@example.com",
                                      business_name=vendor.name)
    emulator_post(emulator, f"/_emulator/accounts/{account.id}/complete_onboarding")
    Vendor.objects.filter(pk=vendor.pk).update(stripe_account_id=account.id, payouts_enabled=True)
    vendor.stripe_account_id = account.id
    return account.id


@pytest.fixture
def connected(emulator: Any, vendor_a: Any, vendor_b: Any) -> dict[str, str]:
    return {"a": connect(vendor_a, emulator), "b": connect(vendor_b, emulator)}


@pytest.fixture
def two_vendor_order(paid_order: Callable[..., Any], vendor_a: Any, vendor_b: Any, connected: Any) -> Any:
    """A paid order: 2 × 15.00 from alpha and 1 × 9.00 from bravo (default commission rules)."""
    from tests.factories.orders import sellable_variant

    va = sellable_variant(vendor_a, price=1500, stock=10)
    vb = sellable_variant(vendor_b, price=900, stock=10)
    return paid_order((vendor_a, va, 2), (vendor_b, vb, 1))
