"""Ledger writes: accounts, balanced idempotent entries, reversals and manual adjustments."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import IntegrityError, transaction

from common.money import MoneyError, validate_currency
from payouts.errors import (
    LedgerEntryAlreadyReversed,
    LedgerEntryInvalid,
    LedgerEntryUnbalanced,
    LedgerKeyConflict,
)
from payouts.models import CHART, AccountCode, JournalEntry, LedgerAccount, Posting

PostingLine = tuple[LedgerAccount, int, str]
Reference = tuple[str, Any]

MAX_KEY_LENGTH = 200


def account_for(*, code: str, currency: str, vendor_id: int | None = None) -> LedgerAccount:
    """The account for a code, currency and (for vendor accounts) vendor; created on first use."""
    if code not in CHART:
        raise LedgerEntryInvalid(f"Unknown ledger account {code!r}.", fields={"account": [code]})
    account_type, per_vendor = CHART[code]
    if per_vendor and vendor_id is None:
        raise LedgerEntryInvalid(f"Account {code} needs a vendor.")
    if not per_vendor and vendor_id is not None:
        raise LedgerEntryInvalid(f"Account {code} is a platform account, not a vendor's.")
    try:
        currency = validate_currency(currency)
    except MoneyError as exc:
        raise LedgerEntryInvalid(str(exc), fields={"currency": [str(exc)]}) from exc
    # vendor_id=None is the platform account (`vendor_id IS NULL`). django-stubs rejects None in an
    # exact lookup on a nullable foreign key's `_id` (typeddjango/django-stubs#3472).
    account, _ = LedgerAccount.objects.get_or_create(  # type: ignore[misc]
        code=code, currency=currency, vendor_id=vendor_id, defaults={"type": account_type}
    )
    return account


def _normalize(postings: Iterable[Sequence[Any]]) -> list[PostingLine]:
    lines: list[PostingLine] = []
    for index, line in enumerate(postings):
        try:
            account, amount, currency = line
        except (TypeError, ValueError) as exc:
            raise LedgerEntryInvalid(
                f"Posting {index + 1} must be (account, amount, currency)."
            ) from exc
        if not isinstance(account, LedgerAccount) or account.pk is None:
            raise LedgerEntryInvalid(f"Posting {index + 1} has no saved account.")
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise LedgerEntryInvalid(f"Posting {index + 1}: amounts are integer minor units.")
        if amount == 0:
            raise LedgerEntryInvalid(f"Posting {index + 1} has a zero amount.")
        if currency != account.currency:
            raise LedgerEntryInvalid(
                f"Posting {index + 1} is in {currency} but {account} is in {account.currency}."
            )
        lines.append((account, amount, currency))
    if len(lines) < 2:
        raise LedgerEntryInvalid("An entry needs at least two postings.")
    totals: dict[str, int] = defaultdict(int)
    for _, amount, currency in lines:
        totals[currency] += amount
    unbalanced = {currency: total for currency, total in totals.items() if total != 0}
    if unbalanced:
        detail = ", ".join(f"{currency} {total:+d}" for currency, total in sorted(unbalanced.items()))
        raise LedgerEntryUnbalanced(
            f"The entry does not balance ({detail}); debits must equal credits per currency.",
            fields={"postings": [f"Off by {detail}."]},
        )
    return lines


def _signature(lines: Iterable[tuple[int, int, str]]) -> Counter[tuple[int, int, str]]:
    return Counter(lines)


def _same_or_conflict(existing: JournalEntry, kind: str, lines: list[PostingLine]) -> JournalEntry:
    stored = _signature(existing.postings.values_list("account_id", "amount", "currency"))
    wanted = _signature((account.pk, amount, currency) for account, amount, currency in lines)
    if existing.kind != kind or stored != wanted:
        raise LedgerKeyConflict(
            f"The key {existing.key!r} was already used for a different entry.",
            extra={"entry_id": existing.pk},
        )
    return existing


def _write(
    *, key: str, kind: str, reference: Reference, lines: list[PostingLine], memo: str,
    created_by: Any, reverses: JournalEntry | None = None,
) -> JournalEntry:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise LedgerEntryInvalid(f"An entry needs a key of 1 to {MAX_KEY_LENGTH} characters.")
    if kind not in JournalEntry.Kind.values:
        raise LedgerEntryInvalid(f"Unknown entry kind {kind!r}.")
    reference_type, reference_id = reference
    existing = JournalEntry.objects.filter(key=key).first()
    if existing is not None:
        return _same_or_conflict(existing, kind, lines)
    try:
        with transaction.atomic():
            entry = JournalEntry.objects.create(
                key=key, kind=kind, reference_type=str(reference_type)[:40],
                reference_id=str(reference_id)[:100], memo=memo, created_by=created_by,
                reverses=reverses,
            )
            # One ordered insert: running-balance rows are locked in account order (no deadlocks).
            Posting.objects.bulk_create(
                Posting(entry=entry, account=account, amount=amount, currency=currency)
                for account, amount, currency in sorted(lines, key=lambda line: line[0].pk)
            )
    except IntegrityError:
        existing = JournalEntry.objects.filter(key=key).first()
        if existing is None:
            if reverses is not None:
                raise LedgerEntryAlreadyReversed("This entry was already reversed.") from None
            raise
        return _same_or_conflict(existing, kind, lines)
    return entry


@transaction.atomic
def entry_post(
    *, key: str, kind: str, reference: Reference, postings: Iterable[Sequence[Any]],
    memo: str = "", created_by: Any = None,
) -> JournalEntry:
    """Post one balanced entry, or return the one already posted under `key`.

    The same key with different postings (or kind) is a conflict, never a second entry.
    """
    lines = _normalize(postings)
    return _write(
        key=key, kind=kind, reference=reference, lines=lines, memo=memo, created_by=created_by
    )


@transaction.atomic
def entry_reverse(
    *, entry: JournalEntry, key: str, reason: str, created_by: Any = None
) -> JournalEntry:
    """A new entry with every posting of `entry` negated; the only way to correct the ledger."""
    if not (reason or "").strip():
        raise LedgerEntryInvalid("A reversal needs a reason.", fields={"reason": ["Required."]})
    entry = JournalEntry.objects.select_for_update().get(pk=entry.pk)
    lines = [
        (posting.account, -posting.amount, posting.currency)
        for posting in entry.postings.select_related("account")
    ]
    existing = JournalEntry.objects.filter(key=key).first()
    if existing is not None:
        return _same_or_conflict(existing, JournalEntry.Kind.REVERSAL, lines)
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise LedgerEntryAlreadyReversed(f"Entry {entry.key} was already reversed.")
    return _write(
        key=key, kind=JournalEntry.Kind.REVERSAL, reference=("journal_entry", entry.pk),
        lines=lines, memo=reason.strip(), created_by=created_by, reverses=entry,
    )


@transaction.atomic
def adjustment_post(
    *, key: str, currency: str, lines: Iterable[tuple[LedgerAccount, int]], reason: str,
    created_by: Any,
) -> JournalEntry:
    """A manual adjustment by finance: balanced, with who and why; refused when unbalanced."""
    if created_by is None or not getattr(created_by, "pk", None):
        raise LedgerEntryInvalid("A manual adjustment records who made it.")
    if not (reason or "").strip():
        raise LedgerEntryInvalid("A manual adjustment needs a reason.", fields={"reason": ["Required."]})
    postings = [(account, amount, currency) for account, amount in lines]
    return entry_post(
        key=key, kind=JournalEntry.Kind.ADJUSTMENT, reference=("adjustment", key),
        postings=postings, memo=reason.strip(), created_by=created_by,
    )


__all__ = ["AccountCode", "account_for", "adjustment_post", "entry_post", "entry_reverse"]
