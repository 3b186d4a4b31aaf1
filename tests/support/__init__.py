"""Plain test helpers (no fixtures): waiting, signed webhooks, addresses, uploads, ledger checks."""
