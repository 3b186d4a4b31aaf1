"""Ledger checks shared by money tests."""

from __future__ import annotations


def ledger_balanced() -> bool:
    """Every journal entry's postings sum to zero."""
    from payouts.ledger.selectors import unbalanced_entries

    return unbalanced_entries() == []
