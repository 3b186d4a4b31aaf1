"""Ledger services: balance, idempotency, append-only enforcement in PostgreSQL, reversals."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from payouts.errors import (
    LedgerEntryAlreadyReversed,
    LedgerEntryInvalid,
    LedgerEntryUnbalanced,
    LedgerKeyConflict,
)
from payouts.ledger import postings as ledger
from payouts.ledger.selectors import (
    account_balance,
    ledger_mismatches,
    platform_net_revenue,
    vendor_balances,
)
from payouts.ledger.services import account_for, adjustment_post, entry_post, entry_reverse
from payouts.models import AccountCode, JournalEntry, LedgerAccount, Posting
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cash():
    return account_for(code=AccountCode.PLATFORM_CASH, currency="EUR")


@pytest.fixture
def revenue():
    return account_for(code=AccountCode.COMMISSION_REVENUE, currency="EUR")


def test_balanced_entry_is_written_with_running_balances(cash, revenue):
    entry = entry_post(
        key="k1", kind="adjustment", reference=("test", 1),
        postings=[(cash, 500, "EUR"), (revenue, -500, "EUR")],
    )
    assert entry.postings.count() == 2
    assert account_balance(cash) == 500
    assert account_balance(revenue) == -500
    assert ledger_mismatches() == []


def test_unbalanced_entry_is_refused_before_any_write(cash, revenue):
    with pytest.raises(LedgerEntryUnbalanced) as error:
        entry_post(key="k2", kind="adjustment", reference=("test", 1),
                   postings=[(cash, 500, "EUR"), (revenue, -499, "EUR")])
    assert error.value.code == "ledger_entry_unbalanced"
    assert not JournalEntry.objects.filter(key="k2").exists()
    assert not Posting.objects.exists()


def test_balance_is_per_currency(cash):
    usd_cash = account_for(code=AccountCode.PLATFORM_CASH, currency="USD")
    revenue = account_for(code=AccountCode.COMMISSION_REVENUE, currency="EUR")
    usd_revenue = account_for(code=AccountCode.COMMISSION_REVENUE, currency="USD")
    # Sums to zero overall but not per currency.
    with pytest.raises(LedgerEntryUnbalanced):
        entry_post(key="fx", kind="adjustment", reference=("test", 1),
                   postings=[(cash, 100, "EUR"), (usd_revenue, -100, "USD")])
    entry_post(key="fx2", kind="adjustment", reference=("test", 1),
               postings=[(cash, 100, "EUR"), (revenue, -100, "EUR"),
                         (usd_cash, 7, "USD"), (usd_revenue, -7, "USD")])
    assert account_balance(usd_cash) == 7


@pytest.mark.parametrize(
    "postings_spec",
    [[], [("cash", 100)], [("cash", 0), ("revenue", 0)], [("cash", 1.5), ("revenue", -1.5)]],
)
def test_malformed_entries_are_refused(cash, revenue, postings_spec):
    accounts = {"cash": cash, "revenue": revenue}
    with pytest.raises(LedgerEntryInvalid):
        entry_post(key="bad", kind="adjustment", reference=("t", 1),
                   postings=[(accounts[name], amount, "EUR") for name, amount in postings_spec])
    assert not JournalEntry.objects.exists()


def test_posting_currency_must_match_account(cash, revenue):
    with pytest.raises(LedgerEntryInvalid):
        entry_post(key="cur", kind="adjustment", reference=("t", 1),
                   postings=[(cash, 100, "USD"), (revenue, -100, "USD")])


def test_same_key_same_postings_returns_existing_entry(cash, revenue):
    first = entry_post(key="idem", kind="adjustment", reference=("t", 1),
                       postings=[(cash, 300, "EUR"), (revenue, -300, "EUR")])
    again = entry_post(key="idem", kind="adjustment", reference=("t", 1),
                       postings=[(revenue, -300, "EUR"), (cash, 300, "EUR")])
    assert again.pk == first.pk
    assert JournalEntry.objects.count() == 1
    assert account_balance(cash) == 300


def test_same_key_different_postings_is_a_conflict(cash, revenue):
    entry_post(key="idem2", kind="adjustment", reference=("t", 1),
               postings=[(cash, 300, "EUR"), (revenue, -300, "EUR")])
    with pytest.raises(LedgerKeyConflict) as error:
        entry_post(key="idem2", kind="adjustment", reference=("t", 1),
                   postings=[(cash, 301, "EUR"), (revenue, -301, "EUR")])
    assert error.value.status_code == 409
    assert account_balance(cash) == 300


def _raw(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_postings_and_entries_cannot_be_updated_or_deleted_in_sql(cash, revenue):
    entry = entry_post(key="ro", kind="adjustment", reference=("t", 1),
                       postings=[(cash, 300, "EUR"), (revenue, -300, "EUR")])
    posting_id = entry.postings.first().pk
    for sql, params in [
        ("UPDATE payouts_posting SET amount = 1 WHERE id = %s", [posting_id]),
        ("DELETE FROM payouts_posting WHERE id = %s", [posting_id]),
        ("UPDATE payouts_journalentry SET memo = 'x' WHERE id = %s", [entry.pk]),
        ("DELETE FROM payouts_journalentry WHERE id = %s", [entry.pk]),
    ]:
        with pytest.raises(DatabaseError, match="append-only"):
            _raw(sql, params)
    assert sorted(entry.postings.values_list("amount", flat=True)) == [-300, 300]


def test_orm_update_and_delete_are_refused_too(cash, revenue):
    entry = entry_post(key="ro2", kind="adjustment", reference=("t", 1),
                       postings=[(cash, 300, "EUR"), (revenue, -300, "EUR")])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Posting.objects.filter(entry=entry).update(amount=5)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Posting.objects.filter(entry=entry).delete()


def test_database_refuses_an_unbalanced_entry_at_commit(cash, revenue):
    """Bypass the service: the deferred constraint trigger still refuses the entry."""
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        entry = JournalEntry.objects.create(key="raw", kind="adjustment")
        Posting.objects.create(entry=entry, account=cash, amount=100, currency="EUR")
        Posting.objects.create(entry=entry, account=revenue, amount=-99, currency="EUR")
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT does
    assert not JournalEntry.objects.filter(key="raw").exists()


def test_database_refuses_an_entry_without_postings_at_commit():
    with pytest.raises(DatabaseError, match="fewer than two"), transaction.atomic():
        JournalEntry.objects.create(key="empty", kind="adjustment")
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_database_refuses_a_posting_in_another_currency_than_its_account(cash):
    usd_revenue = account_for(code=AccountCode.COMMISSION_REVENUE, currency="USD")
    with pytest.raises(DatabaseError, match="currency"), transaction.atomic():
        entry = JournalEntry.objects.create(key="cur-raw", kind="adjustment")
        Posting.objects.create(entry=entry, account=cash, amount=100, currency="EUR")
        Posting.objects.create(entry=entry, account=usd_revenue, amount=-100, currency="EUR")
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_reversal_negates_every_posting_once(cash, revenue, admin_user):
    entry = entry_post(key="orig", kind="adjustment", reference=("t", 1),
                       postings=[(cash, 300, "EUR"), (revenue, -300, "EUR")])
    reversal = entry_reverse(entry=entry, key="orig:rev", reason="typo", created_by=admin_user)
    assert reversal.kind == "reversal" and reversal.reverses_id == entry.pk
    assert sorted(reversal.postings.values_list("amount", flat=True)) == [-300, 300]
    assert account_balance(cash) == 0
    assert entry_reverse(entry=entry, key="orig:rev", reason="typo").pk == reversal.pk
    with pytest.raises(LedgerEntryAlreadyReversed):
        entry_reverse(entry=entry, key="orig:rev2", reason="again")
    with pytest.raises(LedgerEntryInvalid):
        entry_reverse(entry=entry, key="orig:rev3", reason=" ")


def test_adjustment_needs_reason_and_author_and_balance(cash, revenue, finance_user):
    with pytest.raises(LedgerEntryInvalid):
        adjustment_post(key="adj", currency="EUR", lines=[(cash, 5), (revenue, -5)],
                        reason="", created_by=finance_user)
    with pytest.raises(LedgerEntryInvalid):
        adjustment_post(key="adj", currency="EUR", lines=[(cash, 5), (revenue, -5)],
                        reason="fix", created_by=None)
    with pytest.raises(LedgerEntryUnbalanced):
        adjustment_post(key="adj", currency="EUR", lines=[(cash, 5), (revenue, -4)],
                        reason="fix", created_by=finance_user)
    entry = adjustment_post(key="adj", currency="EUR", lines=[(cash, 5), (revenue, -5)],
                            reason="bank rounding", created_by=finance_user)
    assert (entry.kind, entry.memo, entry.created_by) == ("adjustment", "bank rounding", finance_user)


def test_account_rules():
    vendor = VendorFactory()
    with pytest.raises(LedgerEntryInvalid):
        account_for(code=AccountCode.VENDOR_PENDING, currency="EUR")
    with pytest.raises(LedgerEntryInvalid):
        account_for(code=AccountCode.PLATFORM_CASH, currency="EUR", vendor_id=vendor.pk)
    with pytest.raises(LedgerEntryInvalid):
        account_for(code=AccountCode.PLATFORM_CASH, currency="XXX")
    first = account_for(code=AccountCode.VENDOR_PENDING, currency="EUR", vendor_id=vendor.pk)
    assert account_for(code=AccountCode.VENDOR_PENDING, currency="EUR", vendor_id=vendor.pk) == first
    assert first.type == "liability"
    assert LedgerAccount.objects.filter(code="vendor_pending").count() == 1


def test_order_lifecycle_postings():
    v1, v2 = VendorFactory(), VendorFactory()
    ledger.post_payment_captured(
        order_id=1, amount=10000, currency="EUR",
        vendor_shares=[(v1.pk, 6000, 600), (v2.pk, 4000, 400)], stripe_fee=175, key="pi_1",
    )
    assert vendor_balances(vendor_id=v1.pk, currency="EUR")["pending"] == 5400
    ledger.post_transfer(vendor_id=v1.pk, amount=5400, currency="EUR", transfer_id="tr_1",
                         key="tr_1")
    ledger.post_payout(vendor_id=v1.pk, amount=5000, currency="EUR", payout_id="po_1",
                       key="po_1")
    assert vendor_balances(vendor_id=v1.pk, currency="EUR") == {
        "pending": 0, "available": 400, "reserved": 0, "paid_out": 5000,
    }
    ledger.post_refund(order_id=1, refund_id="re_1", currency="EUR",
                       vendor_shares=[(v2.pk, 4000, 400)], refund_commission=True, key="re_1")
    assert vendor_balances(vendor_id=v2.pk, currency="EUR")["pending"] == 0
    assert platform_net_revenue(currency="EUR") == 1000 - 175 - 400
    cash = account_for(code=AccountCode.PLATFORM_CASH, currency="EUR")
    assert account_balance(cash) == 10000 - 175 - 5400 - 4000
    assert ledger_mismatches() == []


def test_payment_shares_must_add_up():
    vendor = VendorFactory()
    with pytest.raises(LedgerEntryInvalid):
        ledger.post_payment_captured(order_id=1, amount=1000, currency="EUR",
                                     vendor_shares=[(vendor.pk, 900, 10)], stripe_fee=0, key="x")
    with pytest.raises(LedgerEntryInvalid):
        ledger.post_payment_captured(order_id=1, amount=1000, currency="EUR",
                                     vendor_shares=[(vendor.pk, 1000, 1001)], stripe_fee=0, key="x")
    assert not JournalEntry.objects.exists()


def test_chargeback_lost_splits_loss_between_vendor_and_platform():
    vendor = VendorFactory()
    ledger.post_payment_captured(order_id=2, amount=5000, currency="EUR",
                                 vendor_shares=[(vendor.pk, 5000, 500)], stripe_fee=100, key="pi")
    ledger.post_transfer(vendor_id=vendor.pk, amount=4500, currency="EUR", transfer_id="tr",
                         key="tr")
    ledger.post_chargeback_opened(dispute_id="dp", amount=5000, currency="EUR", dispute_fee=1500,
                                  vendor_recoveries=[(vendor.pk, 4500)], key="dp:open")
    # The transfer already left: the dispute makes the vendor's pending balance negative.
    assert vendor_balances(vendor_id=vendor.pk, currency="EUR")["pending"] == -4500
    assert vendor_balances(vendor_id=vendor.pk, currency="EUR")["reserved"] == 4500
    ledger.post_chargeback_lost(dispute_id="dp", amount=5000, currency="EUR",
                                vendor_recoveries=[(vendor.pk, 4500)], key="dp:lost")
    assert vendor_balances(vendor_id=vendor.pk, currency="EUR")["reserved"] == 0
    assert platform_net_revenue(currency="EUR") == 500 - 100 - 1500 - 500
