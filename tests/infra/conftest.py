"""Fixtures of the infra tests: plain pytest in .venv-infra, no Django, no database.

infra/check.sh runs this folder with its own ini file (tests/infra/pytest.ini). The project's
main test run (pytest-django, the application's virtualenv, without python-hcl2 or checkov) does
not collect it: `make test` runs it through `make infra-check` instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from terraform_model import Terraform

INFRA_INI = Path(__file__).resolve().parent / "pytest.ini"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if config.inipath is None or Path(config.inipath).resolve() != INFRA_INI:
        return True
    return None


@pytest.fixture(scope="session")
def tf() -> Terraform:
    from terraform_model import load_terraform

    return load_terraform()
