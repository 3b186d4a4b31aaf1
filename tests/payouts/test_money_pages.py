"""The vendor dashboard's Money page and monthly statements (vendor host)."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone

from accounts.roles import VendorRole
from payouts import transfers as svc
from payouts.payouts import payout_record_apply
from tests.factories import MembershipFactory, UserFactory
from tests.factories.orders import paid_orders

pytestmark = pytest.mark.django_db


# A paid order from the factory (no webhook round trip); its PaymentIntent is real on the session's
# emulator, which the refunds and transfers under test go through.
@pytest.fixture
def emulator(gateway_on_emulator):
    return gateway_on_emulator


@pytest.fixture
def paid_order(shopper, emulator):
    return paid_orders(shopper)


@pytest.fixture
def money_setup(two_vendor_order, vendor_a, connected):
    order = two_vendor_order
    svc.transfers_create_for_order(order_id=order.pk)
    svc.transfers_release_due()
    amount = order.sub_orders.get(vendor=vendor_a).transfer.amount
    payout_record_apply(data={"id": "po_money1", "amount": amount, "currency": "eur", "status": "paid"},
                        account_id=connected["a"], event_created=int(timezone.now().timestamp()))
    return order


def test_owner_sees_orders_balances_payouts_and_statements(money_setup, vendor_a, owner_a, client_for,
                                                           django_assert_max_num_queries):
    order = money_setup
    sub = order.sub_orders.get(vendor=vendor_a)
    client = client_for(vendor_a, owner_a)
    with django_assert_max_num_queries(16):
        response = client.get("/dashboard/money/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"#{order.number}" in html
    assert "po_money1" in html
    from common.money import format_money

    assert "Paid out</span>" in html  # the payout covers the transfer (first in, first out)

    assert format_money(sub.net_amount, "EUR") in html
    assert format_money(sub.commission_amount, "EUR") in html
    assert f'data-testid="balance-paid-out">{format_money(sub.net_amount, "EUR")}<' in html
    assert "/dashboard/money/statements/" in html


def test_status_is_transferred_until_payouts_cover_it(two_vendor_order, vendor_a, owner_a, client_for, connected):
    svc.transfers_create_for_order(order_id=two_vendor_order.pk)
    svc.transfers_release_due()
    html = client_for(vendor_a, owner_a).get("/dashboard/money/").content.decode()
    assert "Transferred" in html and "Paid out</span>" not in html


def test_held_and_pending_rows_show_expected_release(two_vendor_order, vendor_a, owner_a, client_for):
    sub = two_vendor_order.sub_orders.get(vendor=vendor_a)
    svc.transfer_hold_for_sub_order(sub_order_id=sub.pk, reason="claim:5")
    html = client_for(vendor_a, owner_a).get("/dashboard/money/").content.decode()
    assert "Held" in html and "On hold (open claim or dispute)" in html


def test_empty_state(vendor_a, owner_a, client_for):
    html = client_for(vendor_a, owner_a).get("/dashboard/money/").content.decode()
    assert "No paid orders yet" in html and "No payouts yet" in html


@pytest.mark.parametrize("role,status", [(VendorRole.STAFF, 403), (VendorRole.MANAGER, 200)])
def test_only_managers_and_owners(vendor_a, client_for, role, status):
    user = UserFactory()
    MembershipFactory(user=user, vendor=vendor_a, role=role)
    assert client_for(vendor_a, user).get("/dashboard/money/").status_code == status
    assert client_for(vendor_a, user).get("/dashboard/money/statements/2026-01.csv").status_code == status


def test_anonymous_is_sent_to_login(vendor_a, client_for):
    response = client_for(vendor_a).get("/dashboard/money/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_statement_csv_and_pdf(money_setup, vendor_a, owner_a, client_for):
    order = money_setup
    sub = order.sub_orders.get(vendor=vendor_a)
    period = order.paid_at.strftime("%Y-%m")
    client = client_for(vendor_a, owner_a)
    response = client.get(f"/dashboard/money/statements/{period}.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "section"
    sale = next(r for r in rows if r[0] == "sale")
    assert sale[2] == order.number
    from common.money import to_major

    assert sale[6] == str(to_major(sub.net_amount, "EUR"))
    assert any(r[0] == "payout" and r[2] == "po_money1" for r in rows)
    pdf = client.get(f"/dashboard/money/statements/{period}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert f"({order.number})".encode() in pdf.content
    # In German the PDF writes amounts and statuses as a German reader expects ("12,34 EUR").
    from django.utils import translation

    from common.money import format_money_localized
    from payouts import selectors
    from payouts.statements import _money_status_label

    german = client.get(f"/dashboard/money/statements/{period}.pdf", HTTP_ACCEPT_LANGUAGE="de")
    status = selectors.money_status(sub, selectors.vendor_paid_out_until(vendor_id=vendor_a.pk, currency="EUR"))
    with translation.override("de"):
        net, label = format_money_localized(sub.net_amount, "EUR"), _money_status_label(status)
    with translation.override("en"):
        assert "," in net and label != _money_status_label(status)
    assert f"({net})".encode("latin-1") in german.content and f"({label})".encode("latin-1") in german.content
    assert client.get("/dashboard/money/statements/2026-13.csv").status_code == 404
    assert client.get("/dashboard/money/statements/2026-01.xls").status_code == 404


def test_htmx_pagination_returns_the_rows_partial(money_setup, vendor_a, owner_a, client_for):
    response = client_for(vendor_a, owner_a).get("/dashboard/money/?page=1", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="money-rows">') and "<html" not in html
