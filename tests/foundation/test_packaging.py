"""The installed distribution holds every app: pyproject's package list names each local app."""

from __future__ import annotations

import tomllib
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
# Developer tools that live beside the apps but are never deployed.
DEV_ONLY = {"tests", "mutation"}


def _included() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["packages"]["find"]["include"]
    return {pattern.removesuffix("*") for pattern in patterns}


def test_every_local_app_is_in_the_package_list() -> None:
    local_apps = {app for app in settings.INSTALLED_APPS if (ROOT / app / "__init__.py").exists()}
    assert local_apps, "no local app found"
    assert local_apps - _included() == set()


def test_every_top_level_package_is_listed_or_a_dev_tool() -> None:
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert packages - _included() - DEV_ONLY == set()
