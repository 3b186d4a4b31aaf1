"""Claims isolation: a vendor sees only claims against itself, a buyer only theirs; anything else
is a 404 through pages, API, attachments, actions and chargeback evidence."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from disputes import services
from disputes.errors import ChargebackNotFound, ClaimNotFound
from disputes.models import (
    Chargeback,
    ChargebackShare,
    Claim,
    ClaimAttachment,
    ClaimLine,
    ClaimMessage,
    ClaimRefund,
)
from orders.models import SubOrder
from tests.factories import ClaimFactory, OrderFactory, UserFactory
from tests.factories.orders import sellable_variant
from tests.support.state import rows

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HOST = "marketplace.localhost"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def claim_a(buyer, vendor_a, vendor_b):
    """A claim of `buyer` against vendor A, with a photo; the order also has a vendor B part."""
    order = OrderFactory(buyer=buyer, vendor_copies=True,
                         items=[(vendor_a, sellable_variant(vendor_a, price=1000), 1),
                                (vendor_b, sellable_variant(vendor_b, price=800), 1)])
    return ClaimFactory(sub_order=order.sub_orders.get(vendor=vendor_a), description="Alpha secret claim text",
                        attachments=[SimpleUploadedFile("a.png", PNG, content_type="image/png")])


def _claims_state(claim):
    """The claim, its lines, messages, refunds and attachments, and the order's parts it may refund."""
    return rows(Claim, ClaimLine, ClaimMessage, ClaimRefund, ClaimAttachment,
                SubOrder.objects.filter(order_id=claim.order_id))


def test_vendor_b_cannot_see_or_act_on_vendor_a_claims(client_for, claim_a, vendor_b, owner_b):
    attachment = ClaimAttachment.objects.get(claim=claim_a)
    before = _claims_state(claim_a)
    dash = client_for(vendor_b, owner_b)
    listing = dash.get("/dashboard/claims/")
    assert listing.status_code == 200 and claim_a.number.encode() not in listing.content
    for path in (f"/dashboard/claims/{claim_a.pk}/", f"/dashboard/claims/{claim_a.pk}/attachments/{attachment.pk}/"):
        assert dash.get(path).status_code == 404, path
    for path in ("accept", "reject", "return-received", "messages"):
        assert dash.post(f"/dashboard/claims/{claim_a.pk}/{path}/", {"reason": "x", "body": "x"}).status_code == 404
    assert dash.get("/api/v1/vendor/claims/").json()["results"] == []
    assert dash.get(f"/api/v1/vendor/claims/{claim_a.pk}/").status_code == 404
    for path in ("accept", "reject", "return-received", "messages"):
        response = dash.post(f"/api/v1/vendor/claims/{claim_a.pk}/{path}/", {"reason": "x", "body": "x"},
                             content_type="application/json")
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "claim_not_found"
    with pytest.raises(ClaimNotFound):
        services.claim_accept(claim_id=claim_a.pk, vendor=vendor_b, user=owner_b)
    assert _claims_state(claim_a) == before
    claim_a.refresh_from_db()
    assert claim_a.status == "open" and not claim_a.messages.exists()


def test_vendor_a_staff_on_vendor_b_host_is_not_a_member(client_for, claim_a, vendor_b, owner_a):
    assert client_for(vendor_b, owner_a).get(f"/dashboard/claims/{claim_a.pk}/").status_code == 404
    assert client_for(vendor_b, owner_a).get("/api/v1/vendor/claims/").status_code == 403


def test_other_buyer_gets_404(client_for, claim_a):
    stranger = UserFactory(email="stranger@example.com")
    attachment = ClaimAttachment.objects.get(claim=claim_a)
    before = _claims_state(claim_a)
    page = client_for(HOST, stranger)
    assert claim_a.number.encode() not in page.get("/claims/").content
    for path in (f"/claims/{claim_a.pk}/", f"/claims/{claim_a.pk}/attachments/{attachment.pk}/",
                 f"/orders/{claim_a.order_id}/claims/new/"):
        assert page.get(path).status_code == 404, path
    assert page.post(f"/claims/{claim_a.pk}/messages/", {"body": "hi"}).status_code == 404
    assert page.post(f"/claims/{claim_a.pk}/escalate/").status_code == 404
    assert page.get("/api/v1/claims/").json()["results"] == []
    assert page.get(f"/api/v1/claims/{claim_a.pk}/").status_code == 404
    assert page.post(f"/api/v1/claims/{claim_a.pk}/messages/", {"body": "hi"},
                     content_type="application/json").status_code == 404
    assert page.post(f"/api/v1/claims/{claim_a.pk}/escalate/").status_code == 404
    # Nor can they open a claim on someone else's order.
    response = page.post("/api/v1/claims/", {
        "order_id": claim_a.order_id, "sub_order_id": claim_a.sub_order_id, "reason": "damaged",
        "description": "mine?", "lines": [{"order_line_id": claim_a.lines.get().order_line_id, "quantity": 1}],
    }, content_type="application/json")
    assert response.status_code == 404
    assert _claims_state(claim_a) == before  # no message, no escalation, no second claim


def test_vendor_a_staff_cannot_download_via_buyer_or_ops_urls(client_for, claim_a, owner_a):
    attachment = ClaimAttachment.objects.get(claim=claim_a)
    page = client_for(HOST, owner_a)
    assert page.get(f"/claims/{claim_a.pk}/attachments/{attachment.pk}/").status_code == 404
    assert page.get(f"/ops/claims/{claim_a.pk}/attachments/{attachment.pk}/").status_code == 403


def test_attachment_of_another_claim_is_404_even_for_a_party(client_for, claim_a, buyer, vendor_b):
    order = OrderFactory(buyer=buyer, vendor_copies=True, items=[(vendor_b, sellable_variant(vendor_b, price=900), 1)])
    other = ClaimFactory(sub_order=order.sub_orders.get(), description="x")
    attachment = ClaimAttachment.objects.get(claim=claim_a)
    # The buyer owns both claims, but the attachment id must belong to the claim in the URL.
    assert client_for(HOST, buyer).get(f"/claims/{other.pk}/attachments/{attachment.pk}/").status_code == 404


def test_chargeback_evidence_only_for_vendors_involved(client_for, claim_a, vendor_a, vendor_b, owner_b):
    chargeback = Chargeback.objects.create(stripe_dispute_id="dp_iso", order=claim_a.order, amount=1000,
                                           currency="EUR", stripe_status="needs_response")
    ChargebackShare.objects.create(chargeback=chargeback, sub_order=claim_a.sub_order, vendor=vendor_a, amount=1000)
    dash = client_for(vendor_b, owner_b)
    assert b"dp_iso" not in dash.get("/dashboard/chargebacks/").content
    assert dash.get(f"/dashboard/chargebacks/{chargeback.pk}/").status_code == 404
    assert dash.post(f"/dashboard/chargebacks/{chargeback.pk}/", {"kind": "note", "text": "x"}).status_code == 404
    assert dash.post(f"/api/v1/vendor/chargebacks/{chargeback.pk}/evidence/", {"kind": "note", "text": "x"},
                     content_type="application/json").status_code == 404
    with pytest.raises(ChargebackNotFound):
        services.chargeback_evidence_add(chargeback_id=chargeback.pk, vendor=vendor_b, user=owner_b, kind="note",
                                         text="x")
    assert not chargeback.evidence.exists()
