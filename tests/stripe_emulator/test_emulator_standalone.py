"""The emulator stands alone: it imports no Django and no app, and no app imports it."""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "stripe_emulator"
# Tools around the product that may start the emulator: they are not copied into the image.
DEVELOPMENT_PACKAGES = {"stripe_emulator", "devservices", "bench"}


def _imported_modules(path: Path) -> Iterator[tuple[str, int]]:
    """Absolute module names imported by a file (relative imports are the package itself)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, node.lineno


def _product_packages() -> list[Path]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["packages"]["find"]["include"]
    names = {pattern.rstrip("*") for pattern in patterns} - DEVELOPMENT_PACKAGES
    return sorted(ROOT / name for name in names)


def test_emulator_imports_only_the_standard_library_and_werkzeug() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 10
    outside = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in modules
        for name, line in _imported_modules(path)
        if name.split(".")[0] not in sys.stdlib_module_names | {"werkzeug", "stripe_emulator"}
    ]
    assert outside == []


def test_no_product_package_imports_the_emulator() -> None:
    packages = _product_packages()
    assert ROOT / "payments" in packages
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for package in packages
        for path in package.rglob("*.py")
        for name, line in _imported_modules(path)
        if name.split(".")[0] == "stripe_emulator"
    ]
    assert offenders == []
