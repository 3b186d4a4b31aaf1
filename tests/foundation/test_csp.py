"""Content-Security-Policy on every side; no inline code in the templates (issue 18, hole 8a)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.django_db
HOST = "marketplace.localhost"
ROOT = Path(__file__).resolve().parents[2]


def _csp(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_pages_of_every_side_carry_a_strict_policy(client_for: Any, vendor_a: Any, owner_a: Any,
                                                   admin_user: Any) -> None:
    pages = [client_for(HOST).get("/"), client_for(vendor_a).get("/"),
             client_for(vendor_a, owner_a).get("/dashboard/"), client_for(HOST, admin_user).get("/ops/")]
    for response in pages:
        assert response.status_code == 200
        policy = _csp(response)
        assert policy["default-src"] == ["'self'"]
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert policy["base-uri"] == ["'self'"]


def test_templates_hold_no_inline_script_or_event_handler() -> None:
    """Inline code would need 'unsafe-inline': scripts live in static files."""
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    handler = re.compile(r"\son[a-z]+\s*=", re.I)
    offenders = []
    for template in ROOT.glob("**/templates/**/*.html"):
        if ".venv" in template.parts or "node_modules" in template.parts:
            continue
        text = template.read_text(encoding="utf-8")
        if inline_script.search(text) or handler.search(text) or "javascript:" in text:
            offenders.append(str(template.relative_to(ROOT)))
    assert offenders == []
