"""`.env.example` documents every environment variable the settings and the dev services read."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READS = re.compile(r"""(?:\benv(?:\.\w+)?|os\.environ\.get|os\.environ\[|os\.getenv)\(?\s*["']([A-Z][A-Z0-9_]+)["']""")
# Read by Python or the tools themselves, not configuration of the platform.
NOT_CONFIGURATION = {"PYTEST_XDIST_WORKER", "DJANGO_SETTINGS_MODULE_OVERRIDE"}


def _documented() -> set[str]:
    names = set()
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"#?\s*([A-Z][A-Z0-9_]+)=", line)
        if match:
            names.add(match.group(1))
    return names


def _read_by(paths: list[Path]) -> set[str]:
    names: set[str] = set()
    for path in paths:
        names |= set(READS.findall(path.read_text()))
    return names - NOT_CONFIGURATION


def test_every_variable_the_platform_reads_is_documented():
    sources = [
        *sorted((ROOT / "config").rglob("*.py")),
        *sorted((ROOT / "devservices").rglob("*.py")),
        *sorted((ROOT / "payments" / "emulator").rglob("*.py")),
        *sorted((ROOT / "common").rglob("*.py")),
    ]
    read = _read_by(sources)
    assert {"DATABASE_URL", "STRIPE_SECRET_KEY", "PLATFORM_DOMAIN"} <= read  # the scan finds reads
    missing = sorted(read - _documented())
    assert not missing, f"add these to .env.example: {missing}"
