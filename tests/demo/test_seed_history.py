"""The demo's order history: paid through the emulator over 90 days, shipped, a claim, a
chargeback and a payout, the ledger balanced, and nothing made twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from demo.history import history_plan, store_history_seed
from demo.seed import demo_seed
from demo.stores import STORES_BY_SLUG
from disputes.models import Chargeback, Claim
from fulfillment.models import Shipment
from orders.models import Order
from payouts.ledger.selectors import unbalanced_entries
from payouts.models import JournalEntry, Payout
from tests.support.stripe import deliver_events
from vendors.models import Vendor

pytestmark = pytest.mark.django_db(transaction=True)

PRODUCTS = 6
ORDERS = 5


def test_the_plan_spans_ninety_days_and_is_the_same_on_every_run():
    plan = history_plan(STORES_BY_SLUG["acme"], orders=40, products=25)
    assert plan == history_plan(STORES_BY_SLUG["acme"], orders=40, products=25)
    assert max(p.days_ago for p in plan) >= 60 and min(p.days_ago for p in plan) <= 5
    assert max(p.days_ago for p in plan) < 90
    assert len({p.token for p in plan}) == 40


def test_history_is_paid_shipped_disputed_and_balanced_and_a_second_run_adds_nothing(emulator, webhooks):
    demo_seed(stores=2, products_per_store=PRODUCTS)
    first = store_history_seed(slug="acme", orders=ORDERS, products=PRODUCTS, limit=2)
    assert first == {"orders": 2, "left": ORDERS - 2}  # the task's chunks: claim and payout at the end
    acme = store_history_seed(slug="acme", orders=ORDERS, products=PRODUCTS)
    globex = store_history_seed(slug="globex", orders=ORDERS, products=PRODUCTS)
    # The bank's dispute reaches the platform by webhook, as any other.
    deliver_events(emulator, webhooks, "charge.dispute.created")

    assert acme["orders"] == ORDERS - 2 and globex["orders"] == ORDERS
    orders = Order.objects.filter(checkout_token__startswith="demo-")
    assert orders.count() == 2 * ORDERS
    assert not orders.filter(paid_at__isnull=True).exists()
    oldest = min(orders.values_list("created_at", flat=True))
    assert oldest < timezone.now() - dt.timedelta(days=14)  # placed on its own day, not today
    assert acme["claims"] == 1 and Claim.objects.get().status == "open"
    assert globex["chargebacks"] == 1
    assert Chargeback.objects.get().order.sub_orders.get().vendor.slug == "globex"
    assert unbalanced_entries() == []
    assert JournalEntry.objects.exists()
    shipped = 0
    for vendor in Vendor.objects.filter(slug__in=["acme", "globex"]):
        with schema_context(vendor.store.schema_name):
            shipped += Shipment.objects.count()
    assert shipped >= 1
    counts = (orders.count(), Claim.objects.count(), Chargeback.objects.count(), Payout.objects.count(),
              JournalEntry.objects.count())

    again = store_history_seed(slug="acme", orders=ORDERS, products=PRODUCTS)
    globex_again = store_history_seed(slug="globex", orders=ORDERS, products=PRODUCTS)
    assert again == {"orders": 0, "left": 0, "claims": 0, "payouts": 0}
    assert globex_again == {"orders": 0, "left": 0, "chargebacks": 0}
    assert (orders.count(), Claim.objects.count(), Chargeback.objects.count(), Payout.objects.count(),
            JournalEntry.objects.count()) == counts
