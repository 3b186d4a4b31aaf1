"""Ledger services at their edges: key length, entry kinds, references, messages that name the
posting at fault, reversal rules and adjustments (each case kills a surviving mutant of
payouts/ledger/services.py; docs/mutation.md)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from payouts.errors import (
    LedgerEntryAlreadyReversed,
    LedgerEntryInvalid,
    LedgerEntryUnbalanced,
    LedgerKeyConflict,
)
from payouts.ledger.selectors import account_balance
from payouts.ledger.services import (
    MAX_KEY_LENGTH,
    account_for,
    adjustment_post,
    entry_post,
    entry_reverse,
)
from payouts.models import AccountCode, JournalEntry, LedgerAccount
from tests.factories import UserFactory
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def cash():
    return account_for(code=AccountCode.PLATFORM_CASH, currency="EUR")


@pytest.fixture
def revenue():
    return account_for(code=AccountCode.COMMISSION_REVENUE, currency="EUR")


def _post(cash, revenue, *, key="k", kind="adjustment", reference=("test", 1), amount=100):
    return entry_post(key=key, kind=kind, reference=reference,
                      postings=[(cash, amount, "EUR"), (revenue, -amount, "EUR")])


def test_keys_of_one_to_max_characters(cash, revenue):
    assert MAX_KEY_LENGTH == 200
    assert _post(cash, revenue, key="k" * 200).key == "k" * 200
    for key in ("", "k" * 201):
        with pytest.raises(LedgerEntryInvalid, match="key of 1 to 200"):
            _post(cash, revenue, key=key)
    assert JournalEntry.objects.count() == 1


def test_unknown_kinds_are_refused(cash, revenue):
    with pytest.raises(LedgerEntryInvalid, match="Unknown entry kind"):
        _post(cash, revenue, kind="gift")
    assert not JournalEntry.objects.exists()


def test_references_are_stored_as_text_cut_to_their_columns(cash, revenue):
    entry = _post(cash, revenue, reference=("t" * 50, 7 * 10**120))
    entry.refresh_from_db()
    assert entry.reference_type == "t" * 40
    assert entry.reference_id == str(7 * 10**120)[:100] and len(entry.reference_id) == 100


@pytest.mark.parametrize(("legs", "message"), [
    ([("cash", 100)], "at least two postings"),
    ([("cash", 100), ("revenue", 0)], "Posting 2 has a zero amount"),
    ([("cash", True), ("revenue", -1)], "Posting 1: amounts are integer"),
    ([("cash", 100), ("revenue", -100, "EUR", "x")], "Posting 2 must be"),
    ([("cash", 100), ("unsaved", -100)], "Posting 2 has no saved account"),
    ([("cash", 100), ("usd", -100)], "Posting 2 is in EUR but .* is in USD"),
    ([("cash", 100), ("revenue", -99)], r"\(EUR \+1\)"),
    ([("cash", 99), ("revenue", -100)], r"\(EUR -1\)"),
])
def test_each_refusal_names_the_posting_or_the_amount(cash, revenue, legs, message):
    accounts = {"cash": cash, "revenue": revenue,
                "usd": account_for(code=AccountCode.COMMISSION_REVENUE, currency="USD"),
                "unsaved": LedgerAccount(code=AccountCode.COMMISSION_REVENUE, currency="EUR")}
    postings = [(accounts[leg[0]], leg[1], *leg[2:]) if len(leg) > 2 else (accounts[leg[0]], leg[1], "EUR")
                for leg in legs]
    # Unbalanced is its own error class; both are the ledger's 400s.
    with pytest.raises((LedgerEntryInvalid, LedgerEntryUnbalanced), match=message):
        entry_post(key="bad", kind="adjustment", reference=("t", 1), postings=postings)
    assert not JournalEntry.objects.exists()


def test_an_unbalanced_entry_is_its_own_error(cash, revenue):
    with pytest.raises(LedgerEntryUnbalanced):
        entry_post(key="u", kind="adjustment", reference=("t", 1),
                   postings=[(cash, 5, "EUR"), (revenue, -4, "EUR")])


def test_the_same_key_for_another_kind_is_a_conflict(cash, revenue):
    _post(cash, revenue, key="same")
    with pytest.raises(LedgerKeyConflict):
        _post(cash, revenue, key="same", kind="reversal")
    assert JournalEntry.objects.count() == 1


def test_a_reversal_needs_a_reason_is_idempotent_by_key_and_happens_once(cash, revenue):
    entry = _post(cash, revenue, key="orig", amount=300)
    for reason in ("", "   ", None):
        with pytest.raises(LedgerEntryInvalid, match="needs a reason"):
            entry_reverse(entry=entry, key="orig:rev", reason=reason)  # type: ignore[arg-type]
    reversal = entry_reverse(entry=entry, key="orig:rev", reason="  typo  ")
    assert reversal.memo == "typo" and reversal.reference_type == "journal_entry"
    assert reversal.reference_id == str(entry.pk)
    assert entry_reverse(entry=entry, key="orig:rev", reason="again").pk == reversal.pk
    with pytest.raises(LedgerEntryAlreadyReversed):
        entry_reverse(entry=entry, key="orig:rev2", reason="twice")
    assert account_balance(cash) == 0 and JournalEntry.objects.count() == 2


def test_adjustments_record_who_why_and_the_key_as_reference(cash, revenue):
    author = UserFactory(platform_role="finance")
    with pytest.raises(LedgerEntryInvalid, match="records who"):
        adjustment_post(key="adj", currency="EUR", lines=[(cash, 5), (revenue, -5)], reason="fix",
                        created_by=UserFactory.build())
    entry = adjustment_post(key="adj", currency="EUR", lines=[(cash, 5), (revenue, -5)],
                            reason="  bank rounding ", created_by=author)
    assert (entry.kind, entry.memo, entry.reference_type, entry.reference_id) == (
        "adjustment", "bank rounding", "adjustment", "adj")
    assert account_balance(cash) == 5


# --- outside the test's transaction: a racing writer, a reversal in autocommit ------------------
def _lock_waiters() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock' AND query ILIKE '%%payouts_journalentry%%'")
        return cursor.fetchone()[0]


def _in_thread(target, results: dict, name: str) -> threading.Thread:
    def run() -> None:
        try:
            results[name] = target()
        except Exception as exc:  # the test asserts on what happened
            results[name] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("racer_amount", [100, 250])
def test_a_writer_racing_for_the_same_key_gets_the_winners_entry_or_a_conflict(racer_amount):
    """The first writer has inserted its entry but not committed; the second passed the "already
    posted?" read and waits on the key's unique index. When the first commits, the second's insert
    fails, and it answers with the first's entry (same postings) or a key conflict (others)."""
    cash = account_for(code=AccountCode.PLATFORM_CASH, currency="EUR")
    revenue = account_for(code=AccountCode.COMMISSION_REVENUE, currency="EUR")
    inserted, release, results = threading.Event(), threading.Event(), {}

    def first() -> JournalEntry:
        with transaction.atomic():
            entry = _post(cash, revenue, key="race")
            inserted.set()
            assert release.wait(60)
        return entry

    holder = _in_thread(first, results, "first")
    assert inserted.wait(60)
    racer = _in_thread(lambda: _post(cash, revenue, key="race", amount=racer_amount), results, "second")
    try:
        wait_until(_lock_waiters, message="the second writer waiting on the key")
    finally:
        release.set()
        holder.join(60)
        racer.join(60)
    assert isinstance(results["first"], JournalEntry)
    if racer_amount == 100:
        assert isinstance(results["second"], JournalEntry)
        assert results["second"].pk == results["first"].pk
    else:
        assert isinstance(results["second"], LedgerKeyConflict)
        assert results["second"].extra == {"entry_id": results["first"].pk}
    assert JournalEntry.objects.filter(key="race").count() == 1
    assert account_balance(cash) == 100


@pytest.mark.django_db(transaction=True)
def test_a_reversal_outside_any_transaction_locks_and_writes_in_its_own():
    cash = account_for(code=AccountCode.PLATFORM_CASH, currency="EUR")
    revenue = account_for(code=AccountCode.COMMISSION_REVENUE, currency="EUR")
    entry = _post(cash, revenue, key="to-reverse")
    assert connection.get_autocommit()
    reversal = entry_reverse(entry=entry, key="to-reverse:undo", reason="posted twice")
    assert reversal.reverses_id == entry.pk
    assert account_balance(cash) == 0
    assert account_balance(revenue) == 0
