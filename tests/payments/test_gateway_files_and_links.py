"""The gateway's file uploads (Stripe's files host, one code path) and Express login links."""

from __future__ import annotations

from typing import Any

import pytest

from payments import gateway
from payments.errors import InvalidGatewayRequest

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("secret", "api", "files", "expected"), [
    ("sk_test_x", "", "", "https://files.stripe.com"),  # Stripe: uploads go to its files host
    ("", "http://127.0.0.1:12111", "", "http://127.0.0.1:12111"),  # the emulator serves both
    ("sk_test_x", "https://api.stripe.com", "", "https://files.stripe.com"),
    ("sk_test_x", "http://proxy.internal", "http://files-proxy.internal/", "http://files-proxy.internal"),
])  # fmt: skip
def test_uploads_go_to_the_files_host(settings: Any, secret: str, api: str, files: str, expected: str) -> None:
    settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE, settings.STRIPE_FILES_BASE = secret, api, files
    assert gateway.files_base() == expected
    assert gateway._client()._requestor.base_addresses.get("files") == expected


def test_a_file_uploads_once_per_key(ctl: Any) -> None:
    first = gateway.file_create(key="evidence:1", filename="proof.pdf", content=PDF)
    again = gateway.file_create(key="evidence:1", filename="proof.pdf", content=PDF)

    assert first == again
    assert (first.purpose, first.type, first.size, first.filename) == ("dispute_evidence", "pdf", len(PDF), "proof.pdf")
    files = ctl("/_emulator/state")["objects"].get("file", [])
    assert [f["id"] for f in files] == [first.id]


def test_a_file_stripe_refuses_is_a_clear_typed_error() -> None:
    with pytest.raises(InvalidGatewayRequest) as refused:
        gateway.file_create(key="evidence:2", filename="note.txt", content=b"plain words")
    assert refused.value.param == "file"
    assert "PDF" in refused.value.message


def test_login_link_only_for_an_onboarded_express_account(ctl: Any) -> None:
    account = gateway.account_create(vendor_id=901, country="DE", email="v@example.com", business_name="V")
    with pytest.raises(InvalidGatewayRequest):
        gateway.login_link_create(account_id=account.id)
    ctl(f"/_emulator/accounts/{account.id}/complete_onboarding", {})

    url = gateway.login_link_create(account_id=account.id)

    assert url.endswith(f"/_emulator/connect/dashboard/{account.id}")


def test_requirements_read_with_deadline_and_reason(ctl: Any) -> None:
    account = gateway.account_create(vendor_id=902, country="DE", email="v@example.com", business_name="V")
    ctl(f"/_emulator/accounts/{account.id}/requirements",
        {"past_due": ["external_account"], "current_deadline": 1_900_000_000, "disabled_reason": "requirements.past_due"})

    requirements = gateway.account_retrieve(account_id=account.id).requirements

    assert requirements.past_due == ["external_account"]
    assert requirements.current_deadline == 1_900_000_000
    assert requirements.disabled_reason == "requirements.past_due"
