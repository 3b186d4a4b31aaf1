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
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django_tenants.utils import schema_context

from disputes.models import Claim, ClaimMessage
from fulfillment.models import VendorOrder
from messaging.models import Message, MessageAttachment, MessageReport, Thread
from notifications.models import Notification, NotificationPreference
from orders.models import Order
from payouts.models import JournalEntry, Posting
from reviews.models import Review, ReviewPhoto
from support.errors import ErasureRefused
from support.models import PrivacyRequest
from support.services import privacy
from tests.factories import ClaimFactory, OrderFactory, UserFactory
from tests.factories.orders import sellable_variant
from tests.support.state import rows
from vendors.storage import private_storage

pytestmark = pytest.mark.django_db
PLATFORM = "marketplace.localhost"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "public"


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


def _trust_data(buyer, vendor, tag):
    """A review with a photo, a thread with the buyer's message (and its attachment) and the
    vendor's answer, the vendor's notices of both, and the buyer's own notification and choice."""
    owner = vendor.memberships.get(role="owner").user
    line = _order(buyer, vendor, status=Order.Status.FULFILLED).lines.get()
    review = Review.objects.create(order_line=line, buyer=buyer, vendor=vendor, product_id=1, product_name="Lamp",
                                   rating=4, seller_rating=5, text=f"{tag} loved it", text_fingerprint="f" * 64,
                                   status=Review.Status.PUBLISHED, reply_text="Thank you")
    photo = ReviewPhoto(review=review, width=4, height=4)
    photo.image.save(f"{tag}.png", ContentFile(b"png"), save=True)
    thread = Thread.objects.create(kind=Thread.Kind.ORDER, vendor=vendor, buyer=buyer, sub_order=line.sub_order,
                                   subject=f"Order {line.order.number}", last_message_at=timezone.now())
    question = Message.objects.create(thread=thread, author=buyer, role="buyer", body=f"{tag}: ring me on 0151")
    attachment = MessageAttachment(message=question, content_type="image/png", size=3, original_name=f"{tag}.png")
    attachment.file.save(f"{tag}.png", ContentFile(b"png"), save=True)
    answer = Message.objects.create(thread=thread, author=owner, role="vendor", body="Will do")
    MessageReport.objects.create(message=answer, reporter=buyer, reason=f"{tag} rude")
    Notification.objects.create(recipient=buyer, kind="message_received", context={"thread_id": thread.pk},
                                link=f"/messages/{thread.pk}/")
    NotificationPreference.objects.create(user=buyer, kind="order_shipped", channel="email", enabled=False)
    Notification.objects.create(recipient=owner, vendor=vendor, kind="message_received",
                                context={"thread_id": thread.pk, "excerpt": question.body, "sender_name": tag})
    Notification.objects.create(recipient=owner, vendor=vendor, kind="review_received",
                                dedupe_key=f"review_received:{review.pk}",
                                context={"product_name": "Lamp", "rating": 4, "author_name": tag})
    return review, photo, thread, attachment


def _trust_rows(buyer):
    return rows(Review.objects.filter(buyer=buyer), ReviewPhoto.objects.filter(review__buyer=buyer),
                Thread.objects.filter(buyer=buyer), Message.objects.filter(thread__buyer=buyer),
                MessageAttachment.objects.filter(message__thread__buyer=buyer),
                MessageReport.objects.filter(reporter=buyer), Notification.objects.filter(recipient=buyer),
                NotificationPreference.objects.filter(user=buyer),
                Notification.objects.filter(vendor__isnull=False, kind="message_received",
                                            context__thread_id__in=list(Thread.objects.filter(buyer=buyer)
                                                                        .values_list("pk", flat=True))),
                Notification.objects.filter(dedupe_key__in=[f"review_received:{pk}" for pk in
                                                            Review.objects.filter(buyer=buyer).values_list("pk",
                                                                                                           flat=True)]))


def test_the_export_holds_reviews_messages_and_notifications_of_its_buyer_only(vendor_a, vendor_b):
    buyer = UserFactory(email="trusting@example.com", full_name="Tina Trust")
    other = UserFactory(email="someone@example.com", full_name="Otto Other")
    review, photo, thread, _attachment = _trust_data(buyer, vendor_a, "Tina")
    _trust_data(other, vendor_b, "Otto")
    request = privacy.privacy_export_request(user=buyer, actor=buyer)
    assert privacy.privacy_export_build(request_id=request.pk) is True
    request.refresh_from_db()
    archive = zipfile.ZipFile(private_storage().open(request.file_name, "rb"))
    data = json.loads(archive.read("data.json"))
    assert data["reviews"]["reviews"] == [{
        "id": review.pk, "created_at": review.created_at.isoformat(), "vendor": vendor_a.pk, "product_id": 1,
        "product_name": "Lamp", "rating": 4, "seller_rating": 5, "text": "Tina loved it", "status": "published",
        "reviewer_name": "Tina T.", "reply_text": "Thank you"}]
    assert data["reviews"]["review_photos"] == [{"review": review.pk, "file": photo.image.name, "width": 4,
                                                 "height": 4}]
    assert [t["id"] for t in data["messages"]["message_threads"]] == [thread.pk]
    assert [(m["role"], m["body"]) for m in data["messages"]["messages"]] == [
        ("buyer", "Tina: ring me on 0151"), ("vendor", "Will do")]
    assert [a["original_name"] for a in data["messages"]["message_attachments"]] == ["Tina.png"]
    assert [n["context"] for n in data["notifications"]["notifications"]] == [{"thread_id": thread.pk}]
    assert data["notifications"]["notification_preferences"] == [
        {"kind": "order_shipped", "channel": "email", "enabled": False}]
    assert "review_reports.csv" in archive.namelist()  # none written by this buyer: an empty file
    for name in ("reviews.csv", "review_photos.csv", "message_threads.csv", "messages.csv", "message_reports.csv",
                 "message_attachments.csv", "notifications.csv", "notification_preferences.csv"):
        text = archive.read(name).decode()
        assert "Otto" not in text and len(text.splitlines()) >= 2, name
    assert "Tina loved it" in archive.read("reviews.csv").decode()
    assert f'{{""thread_id"": {thread.pk}}}' in archive.read("notifications.csv").decode()  # JSON, not repr
    assert "Otto" not in archive.read("data.json").decode()


def test_erasure_removes_review_words_and_photos_keeps_the_stars_and_erases_messages_and_notices(
    vendor_a, vendor_b,
):
    buyer = UserFactory(email="forget-trust@example.com", full_name="Fiona Forget")
    other = UserFactory(email="keep-trust@example.com", full_name="Karl Keep")
    review, photo, thread, attachment = _trust_data(buyer, vendor_a, "Fiona")
    _trust_data(other, vendor_a, "Karl")
    before = _trust_rows(buyer)
    others = _trust_rows(other)
    files = [(default_storage, photo.image.name), (private_storage(), attachment.file.name)]
    assert all(storage.exists(name) for storage, name in files)
    record = privacy.buyer_erase(user_id=buyer.pk, actor=buyer)
    after = _trust_rows(buyer)
    expected_review = {**before["Review"][0], "text": "", "text_fingerprint": ""}
    assert [{k: v for k, v in r.items() if k != "updated_at"} for r in after["Review"]] == [
        {k: v for k, v in expected_review.items() if k != "updated_at"}]  # the stars stay, the words go
    assert after["ReviewPhoto"] == [] and after["MessageAttachment"] == []
    assert after["Thread"] == before["Thread"]
    assert after["Message"] == [{**before["Message"][0], "body": "[erased]"}, before["Message"][1]]
    assert after["MessageReport"] == [{**before["MessageReport"][0], "reason": "[erased]"}]
    assert after["Notification"] == [] and after["NotificationPreference"] == []
    assert len(before["Notification'"] + before["Notification''"]) == 2
    assert [n["context"] for n in after["Notification'"] + after["Notification''"]] == [
        {"thread_id": thread.pk, "excerpt": "[erased]", "sender_name": "[erased]"},
        {"product_name": "Lamp", "rating": 4, "author_name": "[erased]"}]
    assert not any(storage.exists(name) for storage, name in files)
    assert Review.objects.get(pk=review.pk).reviewer_name == "A buyer"
    assert {k: record.summary[k] for k in ("review_texts", "review_photos", "message_bodies",
                                           "message_attachments", "notifications", "notification_preferences")} == {
        "review_texts": 1, "review_photos": 1, "message_bodies": 1, "message_attachments": 1, "notifications": 1,
        "notification_preferences": 1}
    assert _trust_rows(other) == others  # another buyer's reviews, messages and notices untouched
