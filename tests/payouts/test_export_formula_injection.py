"""Finance exports never turn user text into spreadsheet formulas (OWASP CSV injection): text
cells starting with = + - @ tab or CR are neutralised, amounts (even negative) stay numbers."""

from __future__ import annotations

import csv
import io

import pytest

from payouts import exports, statements

DANGEROUS = ["=HYPERLINK(\"https://evil.example\",\"x\")", "+1+2", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def _rows(names: list[str]) -> exports.Rows:
    source = [["transfer", name, f"SKU{i}", -1250, "EUR"] for i, name in enumerate(names)]
    source.append(["transfer", "Plain Shop", "-SKU", 990, "EUR"])
    return exports.Rows(["type", "vendor", "sku", "amount", "currency"], lambda: len(source),
                        lambda: iter([list(r) for r in source]), money=frozenset({"amount"}))


def test_csv_prefixes_formula_text_with_a_quote_and_keeps_negative_amounts(tmp_path):
    path = tmp_path / "out.csv"
    with path.open("wb") as out:
        exports._write_csv(out, _rows(DANGEROUS), lambda: None)
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode(), newline="")))
    assert [r[1] for r in rows[1:-1]] == ["'" + name for name in DANGEROUS]
    assert rows[-1][1:] == ["Plain Shop", "'-SKU", "9.90", "EUR"]
    # Amounts stay machine-readable "-12.50" (docs/payouts.md): never quoted.
    assert {r[3] for r in rows[1:-1]} == {"-12.50"}


def test_xlsx_writes_formula_text_as_string_cells_and_amounts_as_numbers(tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "out.xlsx"
    with path.open("wb") as out:
        exports._write_xlsx(out, _rows(DANGEROUS), lambda: None)
    sheet = load_workbook(path).active
    body = list(sheet.iter_rows(min_row=2, max_row=len(DANGEROUS) + 2))
    for row, name in zip(body, [*DANGEROUS, "Plain Shop"], strict=True):
        # Text, shown as typed (XML reads a carriage return back as a line feed).
        assert row[1].data_type == "s" and row[1].value == name.replace("\r", "\n")
        assert row[3].data_type == "n"
    assert [row[3].value for row in body[:-1]] == [-12.5] * len(DANGEROUS)
    assert body[-1][2].data_type == "s" and body[-1][2].value == "-SKU"
    formulas = [c.coordinate for r in sheet.iter_rows() for c in r if c.data_type == "f"]
    assert formulas == []


@pytest.mark.parametrize("reference", ["=1+1", "@cmd"])
def test_statement_csv_neutralises_text_and_keeps_negative_amounts(reference):
    statement = statements.Statement(vendor=None, year=2026, month=1, currency="EUR", lines=[{
        "date": "2026-01-02", "order": reference, "gross": 1000, "commission": 100, "deductions": 2000,
        "net": -1100, "status": "transferred", "transfer": ""}],
        totals={"gross": 1000, "commission": 100, "deductions": 2000, "net": -1100, "payouts": 0})
    rows = list(csv.reader(io.StringIO(statements.statement_csv(statement).decode(), newline="")))
    assert rows[1][2] == "'" + reference
    assert rows[1][6] == "-11.00" and rows[2][6] == "-11.00"
