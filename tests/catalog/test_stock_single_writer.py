"""`catalog/services/stock.py` is the only code that writes `Variant.stock`, `StockLevel` or `StockAdjustment` rows.

Read from the source (AST): a fifth writer would again be free to forget the history or the
outbox, which is how returned units once never reached the marketplace listing.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWNER = ROOT / "catalog" / "services" / "stock.py"
MODEL_WRITES = {"create", "bulk_create", "update", "get_or_create", "update_or_create", "bulk_update", "delete"}
# The history and the units per location: written by the stock module alone.
STOCK_MODELS = {"StockAdjustment", "StockLevel"}
# Calls where a `stock=` keyword is a write of the column (a filter would say `stock__…`).
STOCK_KEYWORD_WRITES = {"Variant", "create", "update", "get_or_create", "update_or_create"}
SQL_SET_STOCK = re.compile(r'\bset\s+"?stock"?\s*=', re.IGNORECASE)


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _manager_of(node: ast.expr) -> str:
    """`StockLevel` for `StockLevel.objects` or `StockLevel.objects.filter(...)...`."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value
    if isinstance(node, ast.Attribute) and node.attr == "objects":
        return _name(node.value)
    return ""


def _strings(node: ast.expr | None) -> set[str]:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return set()


def stock_writes(source: str) -> list[str]:
    """What in this source writes stock or its history, as 'line: what'."""
    found = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Call):
            func, called = node.func, _name(node.func)
            if called in STOCK_MODELS:
                found.append(f"{line}: {called}(...)")
            if isinstance(func, ast.Attribute) and called in MODEL_WRITES and _manager_of(func.value) in STOCK_MODELS:
                found.append(f"{line}: {_manager_of(func.value)}.objects.{called}")
            if called in STOCK_KEYWORD_WRITES and any(k.arg == "stock" for k in node.keywords):
                found.append(f"{line}: {called}(stock=...)")
            if any(k.arg == "update_fields" and "stock" in _strings(k.value) for k in node.keywords):
                found.append(f"{line}: update_fields with stock")
            if called == "bulk_update" and len(node.args) > 1 and "stock" in _strings(node.args[1]):
                found.append(f"{line}: bulk_update of stock")
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        if any(isinstance(t, ast.Attribute) and t.attr == "stock" for t in targets):
            found.append(f"{line}: .stock assigned")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_SET_STOCK.search(node.value):
            found.append(f"{line}: SQL setting stock")
    return found


def _product_sources() -> list[Path]:
    """Every module of the apps, settings and shared code; not tests, migrations or the benchmark
    harness (which seed data directly, as fixtures do)."""
    packages = {path.parent for path in ROOT.glob("*/apps.py")} | {ROOT / "common", ROOT / "config"}
    return sorted(path for package in packages for path in package.rglob("*.py")
                  if "migrations" not in path.parts)


def test_the_scanner_recognises_every_way_of_writing_stock():
    source = '''
StockAdjustment.objects.create(variant=v, delta=1, stock_after=1, reason="x")
StockAdjustment.objects.bulk_create([StockAdjustment(variant=v, delta=1)])
Variant.objects.filter(pk=1).update(stock=F("stock") + 1)
Variant.objects.create(product=p, sku="A", stock=3)
variant.stock += 2
variant.stock = 5
variant.save(update_fields=["stock", "updated_at"])
Variant.objects.bulk_update(variants, ["price_amount", "stock"])
cursor.execute('UPDATE "catalog_variant" SET "stock" = "stock" - %s WHERE "id" = %s')
StockLevel.objects.create(variant=v, location=l, quantity=1)
StockLevel.objects.filter(location=l).delete()
StockLevel.objects.filter(variant=v).update(quantity=F("quantity") - 1)
'''
    assert len(stock_writes(source)) == 13
    reads = '''
Variant.objects.filter(stock__lte=F("low_stock_threshold")).order_by("stock")
left = variant.stock - 1
StockAdjustment.objects.filter(variant=v).order_by("-id")
StockLevel.objects.filter(location=l, quantity__gt=0).exists()
services.variant_create(product=p, sku="A", stock=3)
'''
    assert stock_writes(reads) == []


def test_only_the_stock_module_writes_stock_or_its_history():
    sources = _product_sources()
    assert OWNER in sources and {"orders", "fulfillment", "disputes"} <= {p.relative_to(ROOT).parts[0] for p in sources}
    writers = {str(path.relative_to(ROOT)): found for path in sources if path != OWNER
               for found in [stock_writes(path.read_text())] if found}
    assert writers == {}
    assert stock_writes(OWNER.read_text()), "the stock module itself must be recognised as a writer"
