"""checkov over infra/terraform: zero failed checks, and every skip carries its reason in place."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest
from terraform_model import REPO_ROOT, TERRAFORM_ROOT, VENV

SKIP_COMMENT = re.compile(r"#checkov:skip=(CKV2?_[A-Z0-9]+_\d+):(.+)")


def _checkov_command() -> list[str]:
    if importlib.util.find_spec("checkov") is not None:
        return [sys.executable, "-m", "checkov.main"]
    cli = VENV / "bin" / "checkov"
    assert cli.exists(), (
        f"checkov is neither importable nor installed at {cli}: run bash infra/check.sh"
    )
    return [str(cli)]


@pytest.fixture(scope="module")
def checkov_report() -> dict[str, Any]:
    # A clean environment for checkov: no PYTHONPATH (python-hcl2 would shadow checkov's own
    # hcl2 fork) and no calls home (no API key, no downloads).
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "BC_API_KEY", "PRISMA_API_URL"}
    }
    env["CHECKOV_RUN_SCA_PACKAGE_SCAN_V2"] = "false"
    completed = subprocess.run(
        [
            *_checkov_command(),
            "--directory",
            str(TERRAFORM_ROOT),
            "--framework",
            "terraform",
            "--output",
            "json",
            "--skip-download",
            "--soft-fail",
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    report = json.loads(completed.stdout)
    reports = report if isinstance(report, list) else [report]
    (terraform,) = [r for r in reports if r.get("check_type") == "terraform"]
    return terraform


def test_checkov_parses_everything(checkov_report: dict[str, Any]) -> None:
    summary = checkov_report["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] >= 100
    assert summary["passed"] >= 300


def test_checkov_zero_failed(checkov_report: dict[str, Any]) -> None:
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range']})"
        for c in checkov_report["results"]["failed_checks"]
    ]
    assert checkov_report["summary"]["failed"] == 0 and not failed, "\n".join(failed)


def test_every_skip_has_a_reason_beside_its_resource(checkov_report: dict[str, Any]) -> None:
    skipped = checkov_report["results"]["skipped_checks"]
    assert len(skipped) == checkov_report["summary"]["skipped"]
    for check in skipped:
        reason = (check["check_result"].get("suppress_comment") or "").strip()
        assert len(reason) >= 20, f"{check['check_id']} on {check['resource']} has no real reason"
        path = TERRAFORM_ROOT / check["file_path"].lstrip("/")
        start, end = check["file_line_range"]
        lines = path.read_text(encoding="utf-8").splitlines()[start - 1 : end]
        comments = {m.group(1): m.group(2) for m in map(SKIP_COMMENT.search, lines) if m}
        assert check["check_id"] in comments, (
            f"{check['check_id']} skipped without a comment in {path}"
        )


def test_no_skip_comment_is_stale(checkov_report: dict[str, Any]) -> None:
    used = {
        (c["check_id"], c["file_path"].lstrip("/"))
        for c in checkov_report["results"]["skipped_checks"]
    }
    for path in TERRAFORM_ROOT.rglob("*.tf"):
        relative = str(path.relative_to(TERRAFORM_ROOT))
        for match in SKIP_COMMENT.finditer(path.read_text(encoding="utf-8")):
            assert (match.group(1), relative) in used, (
                f"{relative}: skip of {match.group(1)} matches no check"
            )


def test_every_skipped_check_is_listed_in_the_readme(checkov_report: dict[str, Any]) -> None:
    readme = (TERRAFORM_ROOT / "README.md").read_text(encoding="utf-8")
    for check_id in {c["check_id"] for c in checkov_report["results"]["skipped_checks"]}:
        assert check_id in readme, (
            f"{check_id} is skipped but not explained in infra/terraform/README.md"
        )
