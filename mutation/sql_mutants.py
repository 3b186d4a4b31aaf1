"""Hand-made mutants of the ledger's PL/pgSQL trigger functions, and the pytest plugin that puts
one in the test database for a run (`-p mutation.sql_mutants` with MUTATION_SQL_MUTANT set).

cosmic-ray mutates Python only; the balance, posting-count and running-balance rules live in
SQL (payouts/migrations/0002_ledger_triggers.py), so each mutant here is one plausible slip in
that SQL: a comparison turned, a grouping dropped, a sign flipped.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

MIGRATION = "payouts.migrations.0002_ledger_triggers"

# key -> (what the slip is, the original text, its replacement); each original occurs once.
MUTANTS: dict[str, tuple[str, str, str]] = {
    "sql:entry_balanced:having_gt": ("unbalanced only when the sum is positive",
                                     "HAVING SUM(p.amount) <> 0", "HAVING SUM(p.amount) > 0"),
    "sql:entry_balanced:having_lt": ("unbalanced only when the sum is negative",
                                     "HAVING SUM(p.amount) <> 0", "HAVING SUM(p.amount) < 0"),
    "sql:entry_balanced:no_currency_group": (
        "the balance summed across currencies",
        "     GROUP BY p.currency\n    HAVING SUM(p.amount) <> 0",
        "     GROUP BY p.entry_id\n    HAVING SUM(p.amount) <> 0"),
    "sql:entry_balanced:if_not_found": ("raises when the entry balances", "    IF FOUND THEN\n        RAISE EXCEPTION 'journal",
                                        "    IF NOT FOUND THEN\n        RAISE EXCEPTION 'journal"),
    "sql:entry_balanced:currency_unchecked": (
        "a posting's currency may differ from its account's",
        "a.currency <> NEW.currency", "a.currency = NEW.currency AND false"),
    "sql:entry_balanced:other_entry": ("checks the posting's account instead of its entry",
                                       "WHERE p.entry_id = NEW.entry_id", "WHERE p.entry_id = NEW.account_id"),
    "sql:has_postings:lt_1": ("an entry with one posting accepted",
                              "p.entry_id = NEW.id) < 2", "p.entry_id = NEW.id) < 1"),
    "sql:has_postings:lte_2": ("an entry with two postings refused",
                               "p.entry_id = NEW.id) < 2", "p.entry_id = NEW.id) <= 2"),
    "sql:balance_apply:minus": ("a running balance subtracts new postings",
                                "payouts_ledgerbalance.balance + EXCLUDED.balance",
                                "payouts_ledgerbalance.balance - EXCLUDED.balance"),
    "sql:balance_apply:count_only_new": ("the posting count forgets earlier postings",
                                         "payouts_ledgerbalance.posting_count + EXCLUDED.posting_count",
                                         "EXCLUDED.posting_count"),
    "sql:balance_apply:do_nothing": (
        "only the first statement's balance is kept",
        "    ON CONFLICT (account_id) DO UPDATE\n"
        "        SET balance = payouts_ledgerbalance.balance + EXCLUDED.balance,\n"
        "            posting_count = payouts_ledgerbalance.posting_count + EXCLUDED.posting_count;",
        "    ON CONFLICT (account_id) DO NOTHING;"),
    "sql:balance_apply:count_amounts": ("a balance counts postings instead of summing them",
                                        "SELECT account_id, SUM(amount), COUNT(*)", "SELECT account_id, COUNT(*), COUNT(*)"),
    "sql:append_only:no_raise": ("postings may be updated or deleted",
                                 "    RAISE EXCEPTION 'ledger is append-only", "    RETURN NULL; RAISE EXCEPTION 'ledger is append-only"),
}


def forward_sql() -> str:
    return str(importlib.import_module(MIGRATION).FORWARD)


def functions_sql(sql: str) -> str:
    """Only the `CREATE OR REPLACE FUNCTION` statements: re-runnable over the migrated database."""
    blocks = re.findall(r"CREATE OR REPLACE FUNCTION .*?\$\$ LANGUAGE plpgsql;", sql, re.DOTALL)
    return "\n".join(blocks)


def mutated_sql(key: str) -> str:
    _what, original, replacement = MUTANTS[key]
    sql = forward_sql()
    if sql.count(original) != 1:
        raise ValueError(f"SQL mutant {key}: its original text occurs {sql.count(original)} times")
    return functions_sql(sql.replace(original, replacement))


def mutants() -> list[Any]:
    from mutation.runner import Mutant

    return [Mutant(key=key, where=key.split(":")[1], line=0, operator=key.split(":")[2], occurrence=0,
                   diff=f"- {original}\n+ {replacement}  ({what})")
            for key, (what, original, replacement) in MUTANTS.items()]


@pytest.fixture(scope="session", autouse=True)
def _ledger_sql_mutant(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """The mutated functions committed for the session, the originals put back after it."""
    from common.connection import tenant_connection

    connection = tenant_connection()
    key = os.environ["MUTATION_SQL_MUTANT"]
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(mutated_sql(key))
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            with connection.cursor() as cursor:
                cursor.execute(functions_sql(forward_sql()))
