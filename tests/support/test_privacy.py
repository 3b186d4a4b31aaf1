"""Buyers' privacy: the export ZIP (its signed link for its own buyer only), erasure (pseudonymised
across the public orders and the vendors' copies, accounting kept, refused whole with the reason),
and the retention job."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from disputes.models import Claim, ClaimMessage
from fulfillment.models import VendorOrder
from orders.models import Order
from payouts.models import JournalEntry, Posting
from support.errors import ErasureRefused
from support.models import PrivacyRequest
from support.services import privacy
from tests.factories import ClaimFactory, OrderFactory, UserFactory
from tests.factories.orders import sellable_variant
from tests.support.state import rows

pytestmark = pytest.mark.django_db
PLATFORM = "marketplace.localhost"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def _order(buyer, vendor, **kwargs):
    return OrderFactory(buyer=buyer, items=[(vendor, sellable_variant(vendor, price=1500), 1)], **kwargs)


def test_the_export_is_built_by_the_task_and_only_its_buyer_downloads_it(
    vendor_a, client_for, mailoutbox, django_capture_on_commit_callbacks,
):
    buyer = UserFactory(email="export-me@example.com", full_name="Erika Export")
    other = UserFactory(email="nosy@example.com")
    order = _order(buyer, vendor_a)
    _order(other, vendor_a)
    page = client_for(PLATFORM, buyer)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert page.post("/accounts/privacy/export/").status_code == 302
    assert len(queued) == 1
    request = PrivacyRequest.objects.get(user=buyer)
    assert request.status == "queued"
    assert privacy.privacy_export_build(request_id=request.pk) is True
    assert privacy.privacy_export_build(request_id=request.pk) is False  # once
    link = re.search(r"(/accounts/privacy/exports/\d+/\?token=\S+)", mailoutbox[-1].body).group(1)
    assert mailoutbox[-1].to == [buyer.email]
    response = page.get(link)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert {"data.json", "orders.csv", "order_lines.csv", "claims.csv", "claim_messages.csv"} <= set(archive.namelist())
    data = json.loads(archive.read("data.json"))
    assert data["account"]["full_name"] == "Erika Export"
    assert [o["number"] for o in data["orders"]] == [order.number]
    assert "nosy@example.com" not in archive.read("orders.csv").decode()
    assert "legal retention" in data["retention"]
    # Another buyer with the same link, and the buyer with a forged one, get nothing.
    assert client_for(PLATFORM, other).get(link).status_code == 404
    assert page.get(link[:-3] + "abc").status_code == 404


def test_erasure_is_refused_with_the_reason_while_a_claim_is_open(vendor_a, client_for):
    buyer = UserFactory(email="claimant@example.com")
    order = _order(buyer, vendor_a, vendor_copies=True)
    ClaimFactory(sub_order=order.sub_orders.get(), description="My private complaint")
    page_client = client_for(PLATFORM, buyer)
    before = rows(Order.objects.filter(buyer=buyer), Claim.objects.filter(buyer=buyer),
                  type(buyer).objects.filter(pk=buyer.pk), PrivacyRequest)
    with pytest.raises(ErasureRefused) as refused:
        privacy.buyer_erase(user_id=buyer.pk, actor=buyer)
    assert "open claim" in refused.value.message
    page = page_client.post("/accounts/privacy/erase/", {"confirm": "ERASE"})
    assert page.status_code == 409 and "open claim" in page.content.decode()
    assert rows(Order.objects.filter(buyer=buyer), Claim.objects.filter(buyer=buyer),
                type(buyer).objects.filter(pk=buyer.pk), PrivacyRequest) == before


def test_erasure_is_refused_for_an_unpaid_order(vendor_a):
    buyer = UserFactory(email="unpaid@example.com")
    _order(buyer, vendor_a, status=Order.Status.PENDING_PAYMENT)
    with pytest.raises(ErasureRefused) as refused:
        privacy.buyer_erase(user_id=buyer.pk, actor=buyer)
    assert "unpaid order" in refused.value.message
    assert type(buyer).objects.get(pk=buyer.pk).email == "unpaid@example.com"


def test_erasure_pseudonymises_orders_copies_and_messages_and_keeps_the_accounting(vendor_a, client_for):
    buyer = UserFactory(email="forget-me@example.com", full_name="Fritz Forget")
    order = _order(buyer, vendor_a, vendor_copies=True)
    claim = ClaimFactory(sub_order=order.sub_orders.get(), description="Scratched, call me at 0151")
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.CLOSED)
    ledger = (JournalEntry.objects.count(), Posting.objects.count())
    page = client_for(PLATFORM, buyer)
    assert page.post("/accounts/privacy/erase/", {"confirm": "ERASE"}).status_code == 302
    buyer.refresh_from_db()
    assert buyer.email == f"erased-{buyer.pk}@erased.invalid" and buyer.full_name == "" and not buyer.is_active
    order.refresh_from_db()
    assert (order.email, order.ship_name, order.ship_line1, order.ship_country) == (
        buyer.email, "[erased]", "[erased]", "DE")
    assert order.total_amount > 0  # the amounts (invoice, tax, ledger) stay
    with schema_context(vendor_a.store.schema_name):
        copy = VendorOrder.objects.get(order_id=order.pk)
        assert (copy.buyer_email, copy.ship_name) == (buyer.email, "[erased]")
    assert Claim.objects.get(pk=claim.pk).description == "[erased]"
    assert not ClaimMessage.objects.filter(claim=claim, role="buyer").exclude(body="[erased]").exists()
    assert (JournalEntry.objects.count(), Posting.objects.count()) == ledger
    record = PrivacyRequest.objects.get(user=buyer, kind="erasure")
    assert record.status == "done" and record.summary["orders"] == 1
    assert client_for(PLATFORM, buyer).get("/accounts/privacy/").status_code == 302  # signed out for good


def test_the_retention_job_erases_inactive_buyers_and_expired_exports_only(vendor_a):
    old = UserFactory(email="long-gone@example.com")
    recent = UserFactory(email="still-here@example.com")
    long_ago = timezone.now() - timedelta(days=privacy.buyer_retention_days() + 5)
    type(old).objects.filter(pk=old.pk).update(date_joined=long_ago, last_login=long_ago)
    old_with_recent_order = UserFactory(email="ordered-lately@example.com")
    type(old).objects.filter(pk=old_with_recent_order.pk).update(date_joined=long_ago, last_login=long_ago)
    _order(old_with_recent_order, vendor_a)
    export = privacy.privacy_export_request(user=recent, actor=recent)
    privacy.privacy_export_build(request_id=export.pk)
    export.refresh_from_db()
    from vendors.storage import private_storage

    assert private_storage().exists(export.file_name)
    result = privacy.privacy_retention_run(now=timezone.now() + timedelta(seconds=privacy.export_link_seconds() + 1))
    assert result["exports_expired"] == 1 and not private_storage().exists(export.file_name)
    emails = set(type(old).objects.values_list("email", flat=True))
    assert f"erased-{old.pk}@erased.invalid" in emails
    assert {"still-here@example.com", "ordered-lately@example.com"} <= emails
    assert PrivacyRequest.objects.get(user=old).origin == "retention"
