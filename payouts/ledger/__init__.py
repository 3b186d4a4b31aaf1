"""The double-entry ledger: accounts, balanced append-only entries, domain postings (docs/ledger.md)."""
