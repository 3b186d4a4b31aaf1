"""The ledger's SQL triggers on raw writes that bypass the services: an imbalance either way and
in a second currency, a posting for another entry's account, the running balance over several
statements (each kills a hand-made mutant of payouts/migrations/0002_ledger_triggers.py;
docs/mutation.md)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from payouts.ledger.services import account_for
from payouts.models import AccountCode, JournalEntry, LedgerBalance, Posting

pytestmark = pytest.mark.django_db


def _accounts(currency: str):
    return (account_for(code=AccountCode.PLATFORM_CASH, currency=currency),
            account_for(code=AccountCode.COMMISSION_REVENUE, currency=currency))


def _commit_checks() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT does


def _raw_entry(key: str, legs) -> None:
    entry = JournalEntry.objects.create(key=key, kind="adjustment")
    Posting.objects.bulk_create(
        Posting(entry=entry, account=account, amount=amount, currency=account.currency)
        for account, amount in legs
    )


@pytest.mark.parametrize("off_by", [1, -1, 5000, -5000])
def test_an_entry_off_by_any_amount_either_way_is_refused(off_by):
    cash, revenue = _accounts("EUR")
    with pytest.raises(DatabaseError, match="does not balance in EUR"), transaction.atomic():
        _raw_entry(f"off{off_by}", [(cash, 100 + off_by), (revenue, -100)])
        _commit_checks()
    assert not JournalEntry.objects.filter(key=f"off{off_by}").exists()


def test_each_currency_balances_on_its_own():
    eur_cash, eur_revenue = _accounts("EUR")
    usd_cash, usd_revenue = _accounts("USD")
    # The sums across currencies are zero (100 - 60 + 60 - 100) but neither currency balances.
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        _raw_entry("mixed", [(eur_cash, 100), (eur_revenue, -60), (usd_cash, 60), (usd_revenue, -100)])
        _commit_checks()
    with transaction.atomic():
        _raw_entry("both", [(eur_cash, 100), (eur_revenue, -100), (usd_cash, 7), (usd_revenue, -7)])
        _commit_checks()
    assert JournalEntry.objects.get(key="both").postings.count() == 4


def test_a_balanced_entry_beside_an_unbalanced_one_is_judged_by_its_own_postings():
    cash, revenue = _accounts("EUR")
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        _raw_entry("fine", [(cash, 100), (revenue, -100)])
        _raw_entry("broken", [(cash, 100), (revenue, -1)])
        _commit_checks()


def test_an_entry_of_exactly_two_postings_commits():
    cash, revenue = _accounts("EUR")
    with transaction.atomic():
        _raw_entry("two", [(cash, 1), (revenue, -1)])
        _commit_checks()
    assert JournalEntry.objects.filter(key="two").exists()


def test_the_running_balance_adds_every_statement_and_counts_postings():
    cash, revenue = _accounts("EUR")
    with transaction.atomic():
        _raw_entry("r1", [(cash, 100), (revenue, -100)])
        _raw_entry("r2", [(cash, 250), (cash, 50), (revenue, -300)])
        _commit_checks()
    balances = dict(LedgerBalance.objects.filter(account__in=[cash, revenue])
                    .values_list("account_id", "balance"))
    counts = dict(LedgerBalance.objects.filter(account__in=[cash, revenue])
                  .values_list("account_id", "posting_count"))
    assert balances == {cash.pk: 400, revenue.pk: -400}
    assert counts == {cash.pk: 3, revenue.pk: 2}
