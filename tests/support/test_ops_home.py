"""The ops home: each attention count and the sales of today and the last 7 days, against a world
built by hand where every row's expected effect is known (support/attention.py's definitions)."""

from __future__ import annotations

import datetime as dt
import re
from itertools import count
from typing import Any

import pytest
from django.utils import timezone

from disputes.models import Chargeback, Claim
from orders.models import Order, OrderReview
from payments.models import WebhookEvent
from payouts.ledger.services import account_for, entry_post
from payouts.models import AccountCode, Transfer
from support.models import DeadLetter
from tests.factories import OrderFactory, TransferFactory, UserFactory
from tests.factories.orders import sellable_variant, vendor_currency_set
from vendors.models import VendorApplication

pytestmark = pytest.mark.django_db
_n = count(1)

# Each queue: how many rows of the world below belong in it.
EXPECTED_ATTENTION = {
    "applications": 2, "claims_overdue": 1, "disputes_evidence_due": 1, "fraud_review": 2,
    "webhooks_failed": 2, "transfers_failed": 1, "dead_letters": 2, "negative_balances": 1,
}


def _order(variant: Any, vendor: Any, buyer: Any, *, paid_at: dt.datetime | None, status: str = "paid") -> Order:
    order = OrderFactory(buyer=buyer, items=[(vendor, variant, 1)],
                         status=Order.Status.PENDING_PAYMENT if paid_at is None else Order.Status.PAID)
    if paid_at is not None:
        Order.objects.filter(pk=order.pk).update(paid_at=paid_at, status=status)
    order.refresh_from_db()
    return order


def _sales_world(vendor_a: Any, vendor_b: Any, midnight: dt.datetime) -> dict[str, dict[str, tuple[int, int]]]:
    """Orders around the day's and the week's edges in EUR (vendor A) and USD (vendor B); returns
    the expected {period: {currency: (gmv, orders)}}, summed by hand from the orders chosen."""
    buyer = UserFactory()
    eur = sellable_variant(vendor_a, price=1000, stock=50)
    usd = sellable_variant(vendor_currency_set(vendor_b, "USD"), price=2500, stock=50, currency="USD")
    now = timezone.now()
    week_start = midnight - dt.timedelta(days=6)
    at_midnight = _order(eur, vendor_a, buyer, paid_at=midnight)  # today's first instant: today
    this_morning = _order(eur, vendor_a, buyer, paid_at=now - dt.timedelta(hours=1))
    refunded_today = _order(eur, vendor_a, buyer, paid_at=now - dt.timedelta(hours=2),
                            status=Order.Status.REFUNDED)  # gross: still counts
    last_night = _order(eur, vendor_a, buyer, paid_at=midnight - dt.timedelta(seconds=1))  # week only
    week_first = _order(eur, vendor_a, buyer, paid_at=week_start)  # the week's first instant
    _order(eur, vendor_a, buyer, paid_at=week_start - dt.timedelta(seconds=1))  # 7 days ago: out
    _order(eur, vendor_a, buyer, paid_at=midnight + dt.timedelta(days=1))  # tomorrow: not yet
    _order(eur, vendor_a, buyer, paid_at=None)  # awaiting payment: never
    usd_today = _order(usd, vendor_b, buyer, paid_at=now - dt.timedelta(minutes=5))
    usd_three_days = _order(usd, vendor_b, buyer, paid_at=midnight - dt.timedelta(days=3))

    def total(*orders: Order) -> tuple[int, int]:
        return sum(o.total_amount for o in orders), len(orders)

    return {
        "today": {"EUR": total(at_midnight, this_morning, refunded_today), "USD": total(usd_today)},
        "week": {"EUR": total(at_midnight, this_morning, refunded_today, last_night, week_first),
                 "USD": total(usd_today, usd_three_days)},
    }


def _claim(order: Order, *, status: str, respond_by: dt.datetime) -> None:
    sub = order.sub_orders.get()
    Claim.objects.create(order=order, sub_order=sub, vendor=sub.vendor, buyer=order.buyer, reason="damaged",
                         status=status, description="x", currency=order.currency, respond_by=respond_by)


def _chargeback(order: Order, **fields: Any) -> None:
    Chargeback.objects.create(stripe_dispute_id=f"dp_home_{next(_n)}", order=order, amount=100,
                              currency=order.currency, stripe_status="needs_response", **fields)


def _webhook(status: str) -> None:
    n = next(_n)
    WebhookEvent.objects.create(stripe_id=f"evt_home_{n}", type="charge.refunded", created=n, payload={},
                                raw_body="{}", received_at=timezone.now(), status=status)


def _dead_letter(status: str) -> None:
    now = timezone.now()
    DeadLetter.objects.create(fingerprint=f"{next(_n):064d}", task_name="x.y", exception_type="E",
                              first_failed_at=now, last_failed_at=now, status=status)


def _post(vendor: Any, currency: str, lines: list[tuple[str, int]]) -> None:
    """A balanced entry: the vendor's lines, the platform's cash the other side."""
    postings = [(account_for(code=code, currency=currency, vendor_id=vendor.pk), amount, currency)
                for code, amount in lines]
    rest = -sum(amount for _code, amount in lines)
    postings.append((account_for(code=AccountCode.PLATFORM_CASH, currency=currency), rest, currency))
    entry_post(key=f"home-{next(_n)}", kind="adjustment", reference=("test", 1), postings=postings)


def _attention_world(vendor_a: Any, vendor_b: Any) -> None:
    now = timezone.now()
    buyer = UserFactory()
    for status in ("submitted", "submitted", "draft", "changes_requested", "rejected"):
        VendorApplication.objects.create(applicant=UserFactory(), status=status, slug=f"home-{next(_n)}")

    variant = sellable_variant(vendor_a, price=700, stock=50)
    orders = [OrderFactory(buyer=buyer, items=[(vendor_a, variant, 1)]) for _ in range(4)]
    # Paid a month ago: the queues' orders stay out of the sales figures.
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(paid_at=now - dt.timedelta(days=30))
    _claim(orders[0], status="open", respond_by=now - dt.timedelta(minutes=1))  # overdue
    _claim(orders[1], status="open", respond_by=now + dt.timedelta(hours=1))  # still in time
    _claim(orders[2], status="escalated", respond_by=now - dt.timedelta(days=1))  # with ops already

    _chargeback(orders[0], due_by=now + dt.timedelta(days=3))  # evidence due
    _chargeback(orders[1], due_by=now - dt.timedelta(minutes=1))  # past its due date: too late
    _chargeback(orders[2], due_by=now + dt.timedelta(days=3), evidence_submitted_at=now)  # sent
    _chargeback(orders[3], due_by=now + dt.timedelta(days=3), outcome="won", closed_at=now)  # closed
    _chargeback(orders[3], due_by=None)  # no deadline known

    OrderReview.objects.create(order=orders[0])
    OrderReview.objects.create(order=orders[1])
    OrderReview.objects.create(order=orders[2], status=OrderReview.Status.APPROVED, decided_at=now,
                               decided_by=UserFactory(platform_role="admin"))

    for status in ("failed", "failed", "applied", "received"):
        _webhook(status)

    failed, pending = (TransferFactory(sub_order=order.sub_orders.get()) for order in orders[:2])
    Transfer.objects.filter(pk=failed.pk).update(status=Transfer.Status.FAILED)
    assert pending.status != Transfer.Status.FAILED

    for status in ("open", "open", "retried", "discarded"):
        _dead_letter(status)

    # Vendor A owes the platform in two currencies (one vendor); B's pending and available sum to
    # a positive balance, its connected cash (an asset, not a balance owed) is left out.
    _post(vendor_a, "GBP", [(AccountCode.VENDOR_PENDING, 500)])
    _post(vendor_a, "CHF", [(AccountCode.VENDOR_AVAILABLE, 300)])
    _post(vendor_b, "GBP", [(AccountCode.VENDOR_PENDING, -800), (AccountCode.VENDOR_AVAILABLE, 300),
                            (AccountCode.VENDOR_CONNECTED_CASH, 900)])


def _page_counts(html: str) -> dict[str, int]:
    return {key: int(value) for key, value in re.findall(
        r'data-attention="([a-z_]+)".*?data-count="(\d+)"', html, flags=re.S)}


def _page_sales(html: str) -> dict[str, dict[str, tuple[int, int]]]:
    sales: dict[str, dict[str, tuple[int, int]]] = {}
    for period, body in re.findall(r'data-sales="(\w+)"(.*?)</table>', html, flags=re.S):
        sales[period] = {currency: (int(gmv), int(orders)) for currency, gmv, orders in re.findall(
            r'data-currency="(\w+)".*?data-gmv="(-?\d+)".*?data-orders="(\d+)"', body, flags=re.S)}
    return sales


def test_the_ops_home_counts_each_queue_and_the_sales_of_today_and_the_week(
        today: dt.date, client_for: Any, admin_user: Any, vendor_a: Any, vendor_b: Any) -> None:
    midnight = dt.datetime.combine(today, dt.time(0), tzinfo=dt.UTC)
    admin = client_for("marketplace.localhost", admin_user)
    before = _page_counts(admin.get("/ops/").content.decode())
    assert before == dict.fromkeys(EXPECTED_ATTENTION, 0)  # a clean start: the numbers below are all ours

    expected_sales = _sales_world(vendor_a, vendor_b, midnight)
    _attention_world(vendor_a, vendor_b)

    html = admin.get("/ops/").content.decode()

    assert _page_counts(html) == EXPECTED_ATTENTION
    assert _page_sales(html) == expected_sales
    assert 'id="sales-definition"' in html


def test_the_ops_home_says_so_when_nothing_was_sold(today: dt.date, client_for: Any, admin_user: Any) -> None:
    html = client_for("marketplace.localhost", admin_user).get("/ops/").content.decode()
    assert _page_sales(html) == {"today": {}, "week": {}}
    assert html.count("No paid orders.") == 2


def test_finance_staff_see_only_the_queues_they_can_open(client_for: Any, finance_user: Any) -> None:
    html = client_for("marketplace.localhost", finance_user).get("/ops/").content.decode()
    assert set(_page_counts(html)) == {"transfers_failed", "negative_balances"}
    assert 'href="/ops/dead-letters/"' not in html and 'href="/ops/applications/"' not in html
    assert 'data-sales="today"' in html
