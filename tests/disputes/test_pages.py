"""Claim pages: the buyer opens a claim with a photo and talks in the thread (htmx), the vendor
accepts with a return and marks it received, the admin decides; dispute dashboard and evidence."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from disputes import services
from disputes.models import Claim, ClaimAttachment
from tests.factories.orders import sellable_variant, variant_stock
from tests.support.stripe import deliver_events

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HOST = "marketplace.localhost"


def _claim(buyer, order, vendor, reason="damaged"):
    sub = order.sub_orders.get(vendor=vendor)
    return services.claim_open(buyer=buyer, order_id=order.pk, sub_order_id=sub.pk, reason=reason,
                               description="Scratched", lines={sub.lines.first().pk: 1})


def test_buyer_opens_claim_from_order_page(client_for, buyer, vendor_a, paid_order):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1000), 2))
    page = client_for(HOST, buyer)
    assert f"/orders/{order.pk}/claims/new/".encode() in page.get(f"/orders/{order.pk}/").content
    form = page.get(f"/orders/{order.pk}/claims/new/")
    assert form.status_code == 200 and b'for="claim-description"' in form.content
    sub = order.sub_orders.get()
    line = sub.lines.get()
    bad = page.post(f"/orders/{order.pk}/claims/new/", {"sub_order": sub.pk, "reason": "damaged", "description": "",
                                                         f"qty_{line.pk}": "1"})
    assert bad.status_code == 422 and b'role="alert"' in bad.content
    assert not Claim.objects.exists()
    response = page.post(f"/orders/{order.pk}/claims/new/", {
        "sub_order": sub.pk, "reason": "damaged", "description": "Cracked lid", f"qty_{line.pk}": "1",
        "attachments": SimpleUploadedFile("lid.png", PNG, content_type="image/png"),
    })
    claim = Claim.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/claims/{claim.pk}/"
    detail = page.get(f"/claims/{claim.pk}/")
    assert b"Cracked lid" in detail.content and b"lid.png" in detail.content
    attachment = ClaimAttachment.objects.get()
    download = page.get(f"/claims/{claim.pk}/attachments/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert download["X-Content-Type-Options"] == "nosniff"
    # The private file is not reachable under MEDIA_URL.
    assert page.get(f"/media/{attachment.file.name}").status_code == 404


def test_thread_message_via_htmx(client_for, buyer, vendor_a, owner_a, paid_order):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1000), 1))
    claim = _claim(buyer, order, vendor_a)
    response = client_for(HOST, buyer).post(f"/claims/{claim.pk}/messages/", {"body": "Any news?"},
                                            HTTP_HX_REQUEST="true", HTTP_HX_TARGET="claim-thread")
    assert response.status_code == 200
    assert b'id="claim-thread"' in response.content and b"Any news?" in response.content
    assert b"<html" not in response.content
    vendor_page = client_for(vendor_a, owner_a).get(f"/dashboard/claims/{claim.pk}/")
    assert b"Any news?" in vendor_page.content
    empty = client_for(HOST, buyer).post(f"/claims/{claim.pk}/messages/", {"body": " "},
                                         HTTP_HX_REQUEST="true", HTTP_HX_TARGET="claim-thread")
    assert empty.status_code == 422


def test_vendor_dashboard_accept_with_return(client_for, buyer, vendor_a, owner_a, paid_order,
                                             django_assert_max_num_queries):
    variant = sellable_variant(vendor_a, price=1500, stock=3)
    order = paid_order((vendor_a, variant, 1))
    claim = _claim(buyer, order, vendor_a, reason="return")
    dash = client_for(vendor_a, owner_a)
    with django_assert_max_num_queries(15):
        listing = dash.get("/dashboard/claims/")
    assert claim.number.encode() in listing.content
    assert b'id="claims-empty"' in dash.get("/dashboard/claims/?status=closed", HTTP_HX_REQUEST="true").content
    response = dash.post(f"/dashboard/claims/{claim.pk}/accept/", {
        "refund": "full", "return_required": "on", "return_instructions": "Alpha GmbH, Lager 1",
        "return_carrier": "DHL", "return_tracking_number": "RL-1"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "vendor_accepted" and claim.return_tracking_number == "RL-1"
    assert variant_stock(vendor_a, variant.pk) == 2
    dash.post(f"/dashboard/claims/{claim.pk}/return-received/")
    claim.refresh_from_db()
    assert claim.status == "resolved_refund_full" and claim.refunded_amount == 1500
    assert variant_stock(vendor_a, variant.pk) == 3


def test_vendor_reject_needs_reason(client_for, buyer, vendor_a, owner_a, paid_order):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1000), 1))
    claim = _claim(buyer, order, vendor_a)
    response = client_for(vendor_a, owner_a).post(f"/dashboard/claims/{claim.pk}/reject/", {"reason": ""})
    assert response.status_code == 422 and b'id="action-error"' in response.content
    claim.refresh_from_db()
    assert claim.status == "open"


def test_ops_queue_detail_and_decision(client_for, buyer, vendor_a, owner_a, admin_user, paid_order,
                                       django_assert_max_num_queries):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1000), 1))
    claim = _claim(buyer, order, vendor_a)
    services.claim_reject(claim_id=claim.pk, vendor=vendor_a, user=owner_a, reason="No")
    services.claim_escalate(claim_id=claim.pk, user=buyer)
    ops = client_for(HOST, admin_user)
    with django_assert_max_num_queries(12):
        queue = ops.get("/ops/claims/")
    assert claim.number.encode() in queue.content
    detail = ops.get(f"/ops/claims/{claim.pk}/")
    assert b"History of both parties" in detail.content and b"Audit trail" in detail.content
    # Ops see the order's whole history, the vendor's internal moves and the transfer's included.
    assert b'data-event="order.placed"' in detail.content and b'data-event="order.paid"' in detail.content
    assert b'data-event="sub_order.paid"' in detail.content and b'data-event="transfer.held"' in detail.content
    bad = ops.post(f"/ops/claims/{claim.pk}/decide/", {"outcome": "refund_partial", "amount": "abc",
                                                       "liability": "vendor"})
    assert bad.status_code == 422
    ok = ops.post(f"/ops/claims/{claim.pk}/decide/", {"outcome": "refund_partial", "amount": "2.50",
                                                      "liability": "platform", "note": "Goodwill"})
    assert ok.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "resolved_refund_partial" and claim.refunded_amount == 250
    late = ops.post(f"/ops/claims/{claim.pk}/decide/", {"outcome": "deny"})
    assert late.status_code == 409 and b'id="action-error"' in late.content


def test_ops_pages_need_admin(client_for, buyer, finance_user):
    assert client_for(HOST, buyer).get("/ops/claims/").status_code == 403
    assert client_for(HOST, finance_user).get("/ops/disputes/").status_code == 403
    assert client_for(HOST).get("/claims/").status_code == 302


def test_dispute_dashboard_and_vendor_evidence_page(client_for, vendor_a, owner_a, admin_user, paid_order,
                                                    emulator, webhooks):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=2000), 1), card="pm_card_createDispute")
    deliver_events(emulator, webhooks, "charge.dispute.created", object_id=order.payment_intent_id,
                   key="payment_intent")
    from disputes.models import Chargeback

    chargeback = Chargeback.objects.get()
    ops = client_for(HOST, admin_user)
    board = ops.get("/ops/disputes/")
    assert board.status_code == 200 and chargeback.stripe_dispute_id.encode() in board.content
    assert b'id="stat-open">1<' in board.content
    dash = client_for(vendor_a, owner_a)
    assert chargeback.stripe_dispute_id.encode() in dash.get("/dashboard/chargebacks/").content
    added = dash.post(f"/dashboard/chargebacks/{chargeback.pk}/", {
        "kind": "photo", "text": "Packed intact", "file": SimpleUploadedFile("box.png", PNG, content_type="image/png")})
    assert added.status_code == 302
    evidence = chargeback.evidence.get()
    assert evidence.vendor == vendor_a and evidence.content_type == "image/png"
    assert ops.get(f"/ops/disputes/{chargeback.pk}/evidence/{evidence.pk}/").status_code == 200
    submitted = ops.post(f"/ops/disputes/{chargeback.pk}/", {"uncategorized_text": "winning_evidence"})
    assert submitted.status_code == 302
    deliver_events(emulator, webhooks, "charge.dispute.closed", object_id=chargeback.stripe_dispute_id)
    chargeback.refresh_from_db()
    assert chargeback.outcome == "won"
    assert b'id="stat-win-rate">100 %' in ops.get("/ops/disputes/").content


def test_messages_and_steps_email_the_parties(client_for, buyer, vendor_a, owner_a, admin_user, paid_order,
                                              mailoutbox, django_capture_on_commit_callbacks):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1000), 1))
    claim = _claim(buyer, order, vendor_a)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(vendor_a, owner_a).post(f"/dashboard/claims/{claim.pk}/messages/", {"body": "Send a photo?"})
    assert any(buyer.email in m.to and claim.number in m.subject for m in mailoutbox)
    assert not any(admin_user.email in m.to for m in mailoutbox)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.claim_reject(claim_id=claim.pk, vendor=vendor_a, user=owner_a, reason="No")
        services.claim_escalate(claim_id=claim.pk, user=buyer)
    escalated = [m for m in mailoutbox if "Escalated" in m.subject]
    # One message per audience, each with the link that audience can open; nobody sees the
    # addresses of another party (the buyer never gets the seller's staff list, nor they the buyer's).
    by_recipient = {to: m for m in escalated for to in m.to}
    assert set(by_recipient) == {buyer.email, owner_a.email, admin_user.email}
    assert all(len(m.to) == 1 for m in escalated)
    assert f"/claims/{claim.pk}/" in by_recipient[buyer.email].body
    assert f"{vendor_a.host}" in by_recipient[owner_a.email].body
    assert f"/dashboard/claims/{claim.pk}/" in by_recipient[owner_a.email].body
    assert f"/ops/claims/{claim.pk}/" in by_recipient[admin_user.email].body
    # The order is named by its number, as the buyer knows it, not by a database id.
    assert order.number in by_recipient[buyer.email].subject
    assert "the buyer escalated" not in by_recipient[buyer.email].body
    assert "the claim was escalated to the platform" in by_recipient[buyer.email].body


def test_buyer_claim_list_query_count_and_empty_state(client_for, buyer, vendor_a, paid_order,
                                                      django_assert_max_num_queries):
    page = client_for(HOST, buyer)
    assert b'id="claims-empty"' in page.get("/claims/").content
    for _ in range(3):
        order = paid_order((vendor_a, sellable_variant(vendor_a, price=1000), 1))
        _claim(buyer, order, vendor_a)
    with django_assert_max_num_queries(10):
        response = page.get("/claims/")
    assert response.content.count(b"/claims/") >= 3


def test_vendor_sets_its_return_window(client_for, vendor_a, owner_a, settings):
    from disputes.models import VendorClaimPolicy

    settings.DISPUTES_RETURN_WINDOW_DAYS = 30
    dash = client_for(vendor_a, owner_a)
    assert b'value="30"' in dash.get("/dashboard/claims/").content
    assert dash.post("/dashboard/claims/policy/", {"return_window_days": "999"}).status_code == 302
    assert not VendorClaimPolicy.objects.filter(return_window_days=999).exists()
    dash.post("/dashboard/claims/policy/", {"return_window_days": "14"})
    assert services.return_window_days(vendor_a) == 14
    assert b'value="14"' in dash.get("/dashboard/claims/").content


def test_claim_email_reaches_each_party_in_their_language(
    buyer, vendor_a, owner_a, paid_order, mailoutbox,
    django_capture_on_commit_callbacks,
):
    from accounts.models import User

    User.objects.filter(pk=buyer.pk).update(language="de")
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=1000), 1))
    sub = order.sub_orders.get(vendor=vendor_a)
    with django_capture_on_commit_callbacks(execute=True):
        services.claim_open(buyer=buyer, order_id=order.pk, sub_order_id=sub.pk, reason="damaged",
                            description="Scratched", lines={sub.lines.first().pk: 1})
    to_buyer = next(m for m in mailoutbox if buyer.email in m.to)
    to_owner = next(m for m in mailoutbox if owner_a.email in m.to)
    assert to_buyer.subject.startswith("Reklamation ") and "die Reklamation wurde eröffnet" in to_buyer.body
    assert to_owner.subject.startswith("Claim ") and "the claim was opened" in to_owner.body
