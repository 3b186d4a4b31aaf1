"""File uploads (`/v1/files`, multipart) with Stripe's per-purpose checks, and files as evidence."""

from __future__ import annotations

import io
import urllib.request
from typing import Any

import pytest
import stripe
from emulator_helpers import API_KEY, pay

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


def upload(client: stripe.StripeClient, content: bytes, purpose: str = "dispute_evidence",
           name: str = "proof.pdf", **options: Any) -> Any:
    stream = io.BytesIO(content)
    stream.name = name
    return client.v1.files.create(params={"purpose": purpose, "file": stream}, options=options or None)  # type: ignore[arg-type]


def test_a_pdf_uploads_with_stripes_shape_and_can_be_read_back(client: stripe.StripeClient, emulator: Any) -> None:
    created = upload(client, PDF)

    assert created.id.startswith("file_")
    assert (created.object, created.purpose, created.type, created.size) == ("file", "dispute_evidence", "pdf", len(PDF))
    assert created.filename == "proof.pdf"
    assert created.expires_at > created.created  # dispute evidence is kept for months, not forever
    assert client.v1.files.retrieve(created.id).id == created.id
    assert [f.id for f in client.v1.files.list(params={"purpose": "dispute_evidence"}).data] == [created.id]
    request = urllib.request.Request(created.url, headers={"Authorization": f"Bearer {API_KEY}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.read() == PDF
        assert response.headers["Content-Type"] == "application/pdf"


@pytest.mark.parametrize(("content", "purpose", "param", "words"), [
    (WEBP, "dispute_evidence", "file", "must be one of: JPEG, PDF, PNG"),
    (b"just text", "dispute_evidence", "file", "an unrecognised type"),
    (PDF + b"\x00" * (5 * 1024 * 1024), "dispute_evidence", "file", "at most 5242880 bytes"),
    (b"", "dispute_evidence", "file", "empty"),
    (PDF, "selfie", "purpose", "Invalid purpose"),
    (PDF, "business_logo", "file", "must be one of: GIF, JPEG, PNG"),
])  # fmt: skip
def test_uploads_stripe_would_refuse_are_refused_clearly(
    client: stripe.StripeClient, content: bytes, purpose: str, param: str, words: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        upload(client, content, purpose=purpose)

    assert refused.value.http_status == 400
    assert refused.value.param == param
    assert words in str(refused.value.user_message)
    assert client.v1.files.list().data == []


def test_a_retried_upload_with_the_same_key_returns_the_same_file(client: stripe.StripeClient) -> None:
    first = upload(client, PDF, idempotency_key="evidence-1")
    again = upload(client, PDF, idempotency_key="evidence-1")

    assert again.id == first.id
    assert len(client.v1.files.list().data) == 1
    with pytest.raises(stripe.IdempotencyError):
        upload(client, PNG, name="other.png", idempotency_key="evidence-1")


def test_dispute_file_fields_take_only_dispute_evidence_uploads(client: stripe.StripeClient) -> None:
    disputed = pay(client, 4_000, "pm_card_createDispute")
    dispute = client.v1.disputes.list(params={"charge": disputed.latest_charge.id}).data[0]
    logo = upload(client, PNG, purpose="business_logo", name="logo.png")

    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.disputes.update(dispute.id, params={"evidence": {"receipt": "file_nope"}, "submit": False})
    assert missing.value.http_status == 404 and missing.value.param == "evidence[receipt]"
    with pytest.raises(stripe.InvalidRequestError) as wrong_purpose:
        client.v1.disputes.update(dispute.id, params={"evidence": {"receipt": logo.id}, "submit": False})
    assert wrong_purpose.value.param == "evidence[receipt]"

    receipt = upload(client, PDF)
    updated = client.v1.disputes.update(
        dispute.id, params={"evidence": {"receipt": receipt.id, "uncategorized_text": "see receipt"}})
    assert updated.evidence.receipt == receipt.id
    assert updated.status == "under_review"


def test_a_connected_accounts_file_is_not_the_platforms(client: stripe.StripeClient) -> None:
    vendor = client.v1.accounts.create(params={"type": "express"})
    theirs = upload(client, PDF, stripe_account=vendor.id)

    with pytest.raises(stripe.InvalidRequestError) as hidden:
        client.v1.files.retrieve(theirs.id)
    assert hidden.value.http_status == 404
