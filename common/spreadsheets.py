"""User text in spreadsheet exports (CSV, XLSX) never becomes a formula (OWASP CSV injection)."""

from __future__ import annotations

from typing import Any

# A spreadsheet runs a cell starting with one of these as a formula (tab and carriage return
# too: some programs strip them and read what follows), per OWASP's CSV injection guidance.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def csv_text(value: Any) -> Any:
    """A CSV cell: text a spreadsheet would run gets a leading single quote, which spreadsheets
    show as text; anything else (numbers, safe text) unchanged. Only for text cells: money
    columns are written as numbers ("-12.50") and must not pass through here."""
    return "'" + value if formula_like(value) else value
