"""Chargeback evidence files go to Stripe: uploaded as Files (`dispute_evidence`) when the admin
submits, referenced in the evidence's file fields, each uploaded once even when a submission is
retried; files Stripe would refuse are refused first and nothing is half-sent; vendors only ever
reach their own evidence."""

from __future__ import annotations

import json
import urllib.request

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from disputes import services
from disputes.errors import ClaimInvalid
from disputes.models import Chargeback, ChargebackEvidence
from payments import gateway
from payments.errors import GatewayError
from tests.factories.orders import sellable_variant
from tests.support.stripe import deliver_events, emulator_post
from tests.support.uploads import PDF_BYTES, png_bytes

pytestmark = pytest.mark.django_db
HOST = "marketplace.localhost"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


def _case(paid_order, emulator, webhooks, *vendors):
    order = paid_order(*[(v, sellable_variant(v, price=2000), 1) for v in vendors], card="pm_card_createDispute")
    deliver_events(emulator, webhooks, "charge.dispute.created", object_id=order.payment_intent_id,
                   key="payment_intent")
    return Chargeback.objects.get(payment_intent_id=order.payment_intent_id)


def _emulator_files(emulator):
    with urllib.request.urlopen(emulator.url + "/_emulator/state", timeout=10) as response:
        return json.loads(response.read())["objects"].get("file", [])


def _add(chargeback, vendor, user, kind, name, content):
    return services.chargeback_evidence_add(chargeback_id=chargeback.pk, vendor=vendor, user=user, kind=kind,
                                            upload=SimpleUploadedFile(name, content, content_type="text/plain"))


def test_files_are_uploaded_and_referenced_in_the_evidence(paid_order, vendor_a, owner_a, admin_user, emulator,
                                                           webhooks):
    chargeback = _case(paid_order, emulator, webhooks, vendor_a)
    label = _add(chargeback, vendor_a, owner_a, "tracking", "label.pdf", PDF_BYTES)
    receipt = _add(chargeback, vendor_a, owner_a, "receipt", "receipt.png", png_bytes())

    services.chargeback_evidence_submit(chargeback_id=chargeback.pk, admin=admin_user,
                                        fields={"uncategorized_text": "Delivered, see the label."})

    label.refresh_from_db()
    receipt.refresh_from_db()
    assert label.stripe_file_id.startswith("file_") and receipt.stripe_file_id.startswith("file_")
    dispute = gateway.dispute_retrieve(dispute_id=chargeback.stripe_dispute_id)
    assert dispute.status == "under_review"
    assert dispute.evidence["shipping_documentation"] == label.stripe_file_id
    assert dispute.evidence["receipt"] == receipt.stripe_file_id
    files = {f["id"]: f for f in _emulator_files(emulator)}
    assert set(files) == {label.stripe_file_id, receipt.stripe_file_id}
    assert files[label.stripe_file_id]["purpose"] == "dispute_evidence"
    assert files[label.stripe_file_id]["filename"] == "label.pdf" and files[receipt.stripe_file_id]["type"] == "png"
    chargeback.refresh_from_db()
    assert chargeback.submitted_evidence["receipt"] == receipt.stripe_file_id


def test_a_failed_submission_sends_no_evidence_and_its_retry_uploads_nothing_twice(
    paid_order, vendor_a, owner_a, admin_user, emulator, webhooks,
):
    chargeback = _case(paid_order, emulator, webhooks, vendor_a)
    label = _add(chargeback, vendor_a, owner_a, "tracking", "label.pdf", PDF_BYTES)
    # Stripe closed the dispute and its webhook has not arrived: the evidence update will fail.
    emulator_post(emulator, f"/_emulator/disputes/{chargeback.stripe_dispute_id}/close", {"outcome": "lost"})

    for _attempt in range(2):
        with pytest.raises(GatewayError):
            services.chargeback_evidence_submit(chargeback_id=chargeback.pk, admin=admin_user,
                                                fields={"uncategorized_text": "x"})

    label.refresh_from_db()
    assert [f["id"] for f in _emulator_files(emulator)] == [label.stripe_file_id]
    chargeback.refresh_from_db()
    assert chargeback.evidence_submitted_at is None and chargeback.submitted_evidence == {}


def test_a_file_stripe_would_refuse_stops_the_submission_before_anything_is_sent(
    paid_order, vendor_a, owner_a, admin_user, emulator, webhooks,
):
    chargeback = _case(paid_order, emulator, webhooks, vendor_a)
    _add(chargeback, vendor_a, owner_a, "tracking", "label.pdf", PDF_BYTES)
    legacy = ChargebackEvidence(chargeback=chargeback, vendor=vendor_a, kind="receipt", created_by=owner_a,
                                content_type="image/webp", original_name="old.webp")
    legacy.file.save("old.webp", SimpleUploadedFile("old.webp", WEBP), save=True)  # from before the check

    with pytest.raises(ClaimInvalid) as refused:
        services.chargeback_evidence_submit(chargeback_id=chargeback.pk, admin=admin_user,
                                            fields={"uncategorized_text": "x"})

    assert "old.webp" in refused.value.message and "PDF, JPEG or PNG" in refused.value.message
    assert _emulator_files(emulator) == []
    assert gateway.dispute_retrieve(dispute_id=chargeback.stripe_dispute_id).status == "needs_response"


@pytest.mark.parametrize(("name", "content", "words"), [
    ("photo.webp", WEBP, "not accepted"),
    ("huge.pdf", PDF_BYTES + b"\x00" * (5 * 1024 * 1024), "too large"),
])  # fmt: skip
def test_vendor_upload_stripe_would_refuse_is_a_form_error(paid_order, vendor_a, owner_a, emulator, webhooks,
                                                           client_for, name, content, words):
    chargeback = _case(paid_order, emulator, webhooks, vendor_a)
    page = client_for(vendor_a, owner_a).post(f"/dashboard/chargebacks/{chargeback.pk}/", {
        "kind": "photo", "text": "", "file": SimpleUploadedFile(name, content)})
    assert page.status_code == 422
    assert words in page.content.decode()
    assert not chargeback.evidence.exists()


def test_admin_chooses_the_field_of_each_file_through_the_api(paid_order, vendor_a, owner_a, admin_user, emulator,
                                                             webhooks, client_for):
    chargeback = _case(paid_order, emulator, webhooks, vendor_a)
    photo = _add(chargeback, vendor_a, owner_a, "photo", "parcel.png", png_bytes())
    api = client_for(HOST, admin_user)
    url = f"/api/v1/ops/disputes/{chargeback.pk}/submit/"

    for files, param in [({"selfie": photo.pk}, "files"), ({"receipt": 999999}, "files")]:
        refused = api.post(url, {"uncategorized_text": "x", "files": files}, content_type="application/json")
        assert refused.status_code == 400, refused.content
        assert param in json.dumps(refused.json())
    twice = api.post(url, {"files": {"receipt": photo.pk, "uncategorized_file": photo.pk}},
                     content_type="application/json")
    assert twice.status_code == 400 and "two fields" in twice.json()["error"]["message"]
    assert _emulator_files(emulator) == []

    done = api.post(url, {"uncategorized_text": "x", "files": {"service_documentation": photo.pk}},
                    content_type="application/json")

    assert done.status_code == 200, done.content
    photo.refresh_from_db()
    assert done.json()["submitted_evidence"]["service_documentation"] == photo.stripe_file_id
    assert "uncategorized_file" not in done.json()["submitted_evidence"]


def test_ops_page_offers_the_files_and_shows_what_was_sent(paid_order, vendor_a, owner_a, admin_user, emulator,
                                                          webhooks, client_for):
    chargeback = _case(paid_order, emulator, webhooks, vendor_a)
    label = _add(chargeback, vendor_a, owner_a, "tracking", "label.pdf", PDF_BYTES)
    ops = client_for(HOST, admin_user)
    form = ops.get(f"/ops/disputes/{chargeback.pk}/").content.decode()
    assert 'id="file-shipping_documentation"' in form
    assert f'<option value="{label.pk}" selected>' in form.split('id="file-shipping_documentation"')[1].split("</select>")[0]

    sent = ops.post(f"/ops/disputes/{chargeback.pk}/", {"uncategorized_text": "x", "files_chosen": "1",
                                                        "file_receipt": str(label.pk)}, follow=True)

    label.refresh_from_db()
    assert sent.status_code == 200 and f"label.pdf → <code>{label.stripe_file_id}</code>" in sent.content.decode()
    assert gateway.dispute_retrieve(dispute_id=chargeback.stripe_dispute_id).evidence["receipt"] == label.stripe_file_id


def test_vendors_reach_only_their_own_evidence_files(paid_order, vendor_a, vendor_b, owner_a, owner_b, admin_user,
                                                     emulator, webhooks, client_for):
    only_a = _case(paid_order, emulator, webhooks, vendor_a)
    both = _case(paid_order, emulator, webhooks, vendor_a, vendor_b)
    mine = _add(both, vendor_a, owner_a, "tracking", "a-label.pdf", PDF_BYTES)
    services.chargeback_evidence_submit(chargeback_id=both.pk, admin=admin_user, fields={"uncategorized_text": "x"})
    mine.refresh_from_db()
    b = client_for(vendor_b, owner_b)

    upload = SimpleUploadedFile("b.pdf", PDF_BYTES)
    assert b.post(f"/dashboard/chargebacks/{only_a.pk}/", {"kind": "tracking", "file": upload}).status_code == 404
    assert b.post(f"/api/v1/vendor/chargebacks/{only_a.pk}/evidence/",
                  {"kind": "tracking", "file": SimpleUploadedFile("b.pdf", PDF_BYTES)}).status_code == 404
    assert not only_a.evidence.exists()
    shared_page = b.get(f"/dashboard/chargebacks/{both.pk}/").content.decode()
    assert "a-label.pdf" not in shared_page and mine.stripe_file_id not in shared_page
    assert b.get(f"/dashboard/chargebacks/{both.pk}/evidence/{mine.pk}/").status_code == 404
    assert client_for(vendor_a, owner_a).get(f"/dashboard/chargebacks/{both.pk}/evidence/{mine.pk}/").status_code == 200
