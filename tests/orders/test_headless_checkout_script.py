"""The documented headless checkout (docs/examples/headless_checkout.py), run as written against the
live server, the Stripe emulator delivering signed webhooks to it, and a Celery worker."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from marketplace.services import listings_rebuild
from orders.models import Order, SubOrder
from payouts.ledger.selectors import unbalanced_entries
from payouts.models import JournalEntry
from tests.factories import UserFactory
from tests.factories.accounts import PASSWORD
from tests.factories.orders import sellable_variant
from tests.payments.events import control

pytestmark = pytest.mark.django_db(transaction=True)
SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "headless_checkout.py"


def test_the_documented_script_buys_from_two_vendors_through_the_api(live_server, task_worker, emulator,
                                                                      vendor_a, vendor_b):
    from tenants.services import public_tenant_ensure

    public_tenant_ensure()
    control(emulator, "/_emulator/webhooks/config",
            {"url": live_server.url + "/webhooks/stripe/", "retry_base_ms": 20, "paused": False})
    buyer = UserFactory(email="headless@example.com")
    sellable_variant(vendor_a, price=1500, stock=5, name="Headless A")
    sellable_variant(vendor_b, price=900, stock=5, name="Headless B")
    listings_rebuild(vendor_ids=[vendor_a.pk, vendor_b.pk])

    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--api", live_server.url, "--host", "marketplace.localhost",
         "--stripe-api", emulator.url, "--email", buyer.email, "--password", PASSWORD, "--timeout", "60"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    printed = json.loads(result.stdout)
    order = Order.objects.get(pk=printed["id"], buyer=buyer)
    assert order.status == Order.Status.PAID and printed["status"] == "paid"
    subs = SubOrder.objects.filter(order=order)
    assert sorted(s.vendor_id for s in subs) == sorted([vendor_a.pk, vendor_b.pk])
    assert {s.status for s in subs} == {SubOrder.Status.PAID}
    assert JournalEntry.objects.filter(key=f"payment_captured:order:{order.pk}").count() == 1
    assert unbalanced_entries() == []
    assert urlsplit(live_server.url).hostname in ("localhost", "127.0.0.1")
