"""Embedded default services (PostgreSQL, Valkey) used when no external servers are configured."""
