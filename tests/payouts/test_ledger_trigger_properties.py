"""The database's own balance check: random posting sets written past the services, per currency."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from payouts.ledger.services import account_for
from payouts.models import AccountCode, JournalEntry, LedgerAccount, Posting

pytestmark = pytest.mark.django_db

CURRENCIES = ("EUR", "USD")
CODES = (AccountCode.PLATFORM_CASH, AccountCode.COMMISSION_REVENUE, AccountCode.STRIPE_FEES)
amount = st.integers(-10**9, 10**9).filter(bool)  # a zero posting is refused by its own CHECK
posting = st.tuples(st.sampled_from(CURRENCIES), st.integers(0, len(CODES) - 1), amount)
# Per currency: True closes that currency's sum to zero with one more posting, False leaves it as drawn.
closing = st.fixed_dictionaries({currency: st.booleans() for currency in CURRENCIES})
_keys = itertools.count()


def _with_closing(drawn: list[tuple[str, int, int]], close: dict[str, bool]) -> list[tuple[str, int, int]]:
    sums: dict[str, int] = defaultdict(int)
    for currency, _code, value in drawn:
        sums[currency] += value
    return drawn + [(currency, 0, -total) for currency, total in sums.items() if total and close[currency]]


def _write_past_the_services(key: str, postings: list[tuple[str, int, int]],
                             accounts: dict[tuple[str, int], LedgerAccount]) -> None:
    """One entry and its postings in one bulk INSERT, then the check COMMIT would run."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        entry = JournalEntry.objects.create(key=key, kind="adjustment")
        Posting.objects.bulk_create(
            Posting(entry=entry, account=accounts[currency, code], amount=value, currency=currency)
            for currency, code, value in postings)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT does


@pytest.fixture
def accounts() -> dict[tuple[str, int], LedgerAccount]:
    return {(currency, index): account_for(code=code, currency=currency)
            for currency in CURRENCIES for index, code in enumerate(CODES)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=st.lists(posting, min_size=2, max_size=8), close=closing)
# The cases a one-sided check (`> 0` or `< 0`) or a check blind to the second currency lets through.
@example(drawn=[("EUR", 0, 100), ("EUR", 1, -101)], close={"EUR": False, "USD": False})
@example(drawn=[("EUR", 0, 101), ("EUR", 1, -100)], close={"EUR": False, "USD": False})
@example(drawn=[("EUR", 0, 500), ("EUR", 1, -500), ("USD", 0, 7), ("USD", 1, -8)],
         close={"EUR": False, "USD": False})
@example(drawn=[("EUR", 0, 500), ("EUR", 1, -500), ("USD", 0, 8), ("USD", 1, -7)],
         close={"EUR": False, "USD": False})
@example(drawn=[("USD", 2, -3), ("EUR", 0, 500), ("EUR", 1, -500)], close={"EUR": False, "USD": False})
@example(drawn=[("EUR", 0, 250), ("USD", 1, -250)], close={"EUR": False, "USD": False})  # sums to 0 across
@example(drawn=[("EUR", 0, 250), ("EUR", 2, -250), ("USD", 1, 40), ("USD", 0, -40)],
         close={"EUR": False, "USD": False})
def test_the_database_accepts_exactly_the_entries_that_balance_in_every_currency(
        drawn: list[tuple[str, int, int]], close: dict[str, bool], accounts: dict[tuple[str, int], LedgerAccount],
) -> None:
    postings = _with_closing(drawn, close)
    sums: dict[str, int] = defaultdict(int)
    for currency, _code, value in postings:
        sums[currency] += value
    unbalanced = sorted(currency for currency, total in sums.items() if total)
    key = f"raw-property-{next(_keys)}"

    if unbalanced:
        with pytest.raises(DatabaseError, match=r"does not balance in (EUR|USD)") as refused:
            _write_past_the_services(key, postings, accounts)
        assert any(f"does not balance in {currency}" in str(refused.value) for currency in unbalanced)
        assert not JournalEntry.objects.filter(key=key).exists()
        assert not Posting.objects.filter(entry__key=key).exists()
    else:
        _write_past_the_services(key, postings, accounts)
        written = sorted(Posting.objects.filter(entry__key=key).values_list("currency", "amount"))
        assert written == sorted((currency, value) for currency, _code, value in postings)
