"""Reconciliation: the ledger matches the emulator's balance transactions to the cent; a drift is listed."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from payouts import transfers as svc
from payouts.ledger.services import account_for, adjustment_post
from payouts.models import AccountCode
from payouts.reconciliation import reconcile

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled(two_vendor_order, vendor_a, vendor_b, connected):
    svc.transfers_create_for_order(order_id=two_vendor_order.pk)
    svc.transfers_release_due()
    sub_b = two_vendor_order.sub_orders.get(vendor=vendor_b)
    svc.transfer_reverse_for_sub_order(sub_order_id=sub_b.pk, amount=50, key="rec:rev", reason="test")
    return two_vendor_order


def test_paid_transferred_and_reversed_reconcile_to_zero(settled, capsys):
    report = reconcile()
    assert report.mismatches == []
    assert report.checked["charge"] == 1 and report.checked["transfer"] == 2
    assert all(v["gateway"] == v["ledger"] for v in report.totals.values())
    call_command("reconcile", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["ledger"]["unexplained"] == {}
    assert "objects" not in out  # no date range: the ledger only


def test_one_run_can_check_the_ledger_and_the_objects_of_a_date_range(settled, capsys):
    call_command("reconcile", "--check", "ledger", "--check", "payment_intents",
                 "--since", "2000-01-01", "--until", "2100-01-01", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True
    assert out["ledger"]["checked"]["charge"] == 1
    assert out["objects"]["mismatches"] == []


def test_a_ledger_drift_is_listed_with_its_amount(settled, admin_user):
    adjustment_post(
        key="drift-1", currency="EUR",
        lines=[(account_for(code=AccountCode.PLATFORM_CASH, currency="EUR"), 7),
               (account_for(code=AccountCode.ADJUSTMENTS, currency="EUR"), -7)],
        reason="test drift", created_by=admin_user,
    )
    report = reconcile(include_vendors=False)
    [mismatch] = report.mismatches
    assert mismatch.check == "balance_platform" and mismatch.difference == -7
    assert report.unexplained == {"EUR": -7}
    with pytest.raises(SystemExit):
        call_command("reconcile", "--platform-only")
