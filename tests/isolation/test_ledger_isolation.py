"""Isolation of commissions and the ledger: vendors never reach ops data, nor each other's money."""

from __future__ import annotations

import datetime as dt

import pytest

from payouts.ledger import postings as ledger
from payouts.ledger.selectors import accounts_with_balances, entries_list, vendor_balances
from payouts.services import commission_rule_create

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def money_of_a(vendor_a):
    ledger.post_payment_captured(order_id=1, amount=5000, currency="EUR",
                                 vendor_shares=[(vendor_a.pk, 5000, 500)], stripe_fee=0,
                                 key="iso:pi_a")
    return commission_rule_create(created_by=None, scope="vendor", vendor_id=vendor_a.pk,
                                  currency="EUR", rate_bp=777, valid_from=T0)


@pytest.mark.parametrize("path", ["/ops/ledger/", "/ops/commissions/", "/ops/ledger/adjustments/",
                                  "/api/v1/ops/commission-rules/"])
def test_vendor_owner_cannot_use_ops_pages_or_api(client_for, owner_a, money_of_a, path):
    response = client_for("marketplace.localhost", owner_a).get(path)
    assert response.status_code == 403
    assert b"777" not in response.content


@pytest.mark.parametrize("path", ["/ops/ledger/", "/ops/commissions/",
                                  "/api/v1/ops/commission-rules/",
                                  "/api/v1/ops/commission-preview/"])
def test_ops_routes_do_not_exist_on_vendor_hosts(client_for, vendor_b, owner_b, admin_user,
                                                 money_of_a, path):
    for user in (owner_b, admin_user):
        assert client_for(vendor_b, user).get(path).status_code == 404


def test_b_rule_ids_of_a_are_404_on_b_host(client_for, vendor_b, owner_b, money_of_a):
    response = client_for(vendor_b, owner_b).get(f"/api/v1/ops/commission-rules/{money_of_a.pk}/")
    assert response.status_code == 404


def test_vendor_scoped_reads_never_include_another_vendor(vendor_a, vendor_b, money_of_a):
    assert vendor_balances(vendor_id=vendor_b.pk, currency="EUR")["pending"] == 0
    assert vendor_balances(vendor_id=vendor_a.pk, currency="EUR")["pending"] == 4500
    assert not accounts_with_balances(vendor_id=vendor_b.pk).exists()
    assert entries_list(vendor_id=vendor_b.pk).count() == 0
    assert entries_list(vendor_id=vendor_a.pk).count() == 1


def test_ledger_filtered_by_b_shows_nothing_of_a(client_for, finance_user, vendor_b, money_of_a):
    page = client_for("marketplace.localhost", finance_user).get(f"/ops/ledger/?vendor={vendor_b.pk}")
    assert page.status_code == 200
    assert b"iso:pi_a" not in page.content
    assert b"No journal entries match." in page.content
