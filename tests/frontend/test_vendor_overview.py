"""The vendor's dashboard home: sales, orders to ship, claims and disputes with deadlines, low
stock, the next payout and the Stripe account; only ever the host vendor's own numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from fulfillment.models import VendorOrder
from payouts.models import Payout
from tests.factories import ChargebackFactory, ClaimFactory, OrderFactory, UserFactory
from tests.factories.orders import sellable_variant
from vendors.models import Membership, Vendor

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_a(buyer, vendor_a):
    """Vendor A: two paid orders (one placed 10 days ago), one claim, one chargeback, a low
    variant and a payout in transit."""
    recent = OrderFactory(buyer=buyer, vendor_copies=True, items=[(vendor_a, sellable_variant(vendor_a, price=1250), 2)])
    older = OrderFactory(buyer=buyer, vendor_copies=True, items=[(vendor_a, sellable_variant(vendor_a, price=700), 1)])
    with schema_context(vendor_a.store.schema_name):
        VendorOrder.objects.filter(order_id=older.pk).update(placed_at=timezone.now() - timedelta(days=10))
    sellable_variant(vendor_a, stock=1, name="Almost gone")
    Vendor.objects.filter(pk=vendor_a.pk).update(stripe_account_id="acct_overview_a")
    claim = ClaimFactory(sub_order=recent.sub_orders.get())
    chargeback = ChargebackFactory(order=older)
    Payout.objects.create(vendor=vendor_a, stripe_payout_id="po_overview_a", account="acct_a", amount=4321,
                          currency="EUR", status=Payout.Status.IN_TRANSIT,
                          arrival_date=timezone.now() + timedelta(days=2))
    return {"recent": recent, "older": older, "claim": claim, "chargeback": chargeback}


def test_overview_shows_what_happened_and_what_waits(client_for, vendor_a, owner_a, busy_a):
    page = client_for(vendor_a, owner_a).get("/dashboard/")
    html = page.content.decode()
    assert page.status_code == 200
    recent, older = (busy_a[key].sub_orders.get().total_amount for key in ("recent", "older"))
    assert (recent, older) == (2 * 1250 + 490, 700 + 490)  # lines and the default shipping
    assert _testid(html, "sales-today") == "29.90 EUR"
    assert _testid(html, "sales-7-days") == "29.90 EUR"
    assert _testid(html, "sales-30-days") == "41.80 EUR"  # the 10-day-old order counts from here
    assert _testid(html, "to-ship") == "2"
    assert _testid(html, "claim-count") == "1" and f'data-claim="{busy_a["claim"].pk}"' in html
    assert _testid(html, "chargeback-count") == "1" and f'data-chargeback="{busy_a["chargeback"].pk}"' in html
    assert "Evidence due" in html and "days left" in html  # the emulator's 7-day evidence window
    assert _testid(html, "low-stock-count") == "1" and "Almost gone" in html
    assert "43.21 EUR" in html  # the payout in transit
    assert 'data-status="active"' in html and "Ready" in html  # connected, charges and payouts on
    assert 'href="/dashboard/products/new/"' in html  # a quick action for a catalog manager


def test_overview_without_activity_says_so(client_for, vendor_a, owner_a):
    html = client_for(vendor_a, owner_a).get("/dashboard/").content.decode()
    assert "No sales in the last 30 days" in html
    assert _testid(html, "to-ship") == "0"
    assert "No payout on its way." in html


def test_staff_without_money_rights_does_not_see_the_payout(client_for, vendor_a, busy_a):
    staff = UserFactory()
    Membership.objects.create(user=staff, vendor=vendor_a, role="staff")
    html = client_for(vendor_a, staff).get("/dashboard/").content.decode()
    assert "43.21 EUR" not in html and "Next payout" not in html
    assert _testid(html, "to-ship") == "2"


def test_stripe_status_asks_for_action(client_for, vendor_a, owner_a):
    page = client_for(vendor_a, owner_a).get("/dashboard/").content.decode()
    assert 'data-status="draft"' in page and "Not connected" in page
    Vendor.objects.filter(pk=vendor_a.pk).update(stripe_account_id="acct_overview_a", payouts_enabled=False)
    html = client_for(vendor_a, owner_a).get("/dashboard/").content.decode()
    assert 'data-status="changes_requested"' in html and "Action needed" in html
    assert "/dashboard/go-live/" in html


def test_vendor_b_overview_never_shows_vendor_a_numbers(client_for, vendor_b, owner_b, busy_a):
    html = client_for(vendor_b, owner_b).get("/dashboard/").content.decode()
    assert "No sales in the last 30 days" in html
    assert _testid(html, "to-ship") == "0"
    assert _testid(html, "claim-count") == "0" and _testid(html, "chargeback-count") == "0"
    assert _testid(html, "low-stock-count") == "0" and "Almost gone" not in html
    assert "43.21 EUR" not in html and "29.90 EUR" not in html and "41.80 EUR" not in html


def test_vendor_a_owner_gets_no_overview_on_vendor_b_host(client_for, vendor_b, owner_a, busy_a):
    assert client_for(vendor_b, owner_a).get("/dashboard/").status_code == 404


def test_overview_query_count_does_not_grow_with_the_data(
    client_for, vendor_a, owner_a, busy_a, buyer, django_assert_max_num_queries
):
    client = client_for(vendor_a, owner_a)
    client.get("/dashboard/")
    for _ in range(3):
        order = OrderFactory(buyer=buyer, vendor_copies=True, items=[(vendor_a, sellable_variant(vendor_a, price=500), 1)])
        ClaimFactory(sub_order=order.sub_orders.get())
        sellable_variant(vendor_a, stock=0)
    # 13, and the low-stock list's weeks of cover: the forecasts, and the stock of the forecast products.
    with django_assert_max_num_queries(15):
        assert client.get("/dashboard/").status_code == 200


def _testid(html: str, name: str) -> str:
    marker = f'data-testid="{name}">'
    start = html.index(marker) + len(marker)
    return html[start:html.index("<", start)].strip()


def test_overview_selectors_scope_to_the_vendor_they_are_given(vendor_a, vendor_b, busy_a):
    """The pages also have row-level security behind them; the selectors must not rely on it
    (tasks and the platform host read without it)."""
    from disputes.selectors import chargebacks_open_for_vendor, claims_awaiting_vendor

    assert list(claims_awaiting_vendor(vendor=vendor_a)) == [busy_a["claim"]]
    assert list(chargebacks_open_for_vendor(vendor=vendor_a)) == [busy_a["chargeback"]]
    assert list(claims_awaiting_vendor(vendor=vendor_b)) == []
    assert list(chargebacks_open_for_vendor(vendor=vendor_b)) == []


def test_sales_leave_out_cancelled_orders_and_refunds(client_for, vendor_a, owner_a, busy_a):
    with schema_context(vendor_a.store.schema_name):
        VendorOrder.objects.filter(order_id=busy_a["older"].pk).update(status=VendorOrder.Status.CANCELLED)
        VendorOrder.objects.filter(order_id=busy_a["recent"].pk).update(refunded_amount=1000)
    html = client_for(vendor_a, owner_a).get("/dashboard/").content.decode()
    assert _testid(html, "sales-today") == "19.90 EUR"  # 29.90 less the 10.00 refunded
    assert _testid(html, "sales-30-days") == "19.90 EUR"  # the cancelled order is no sale
    assert _testid(html, "to-ship") == "1"
