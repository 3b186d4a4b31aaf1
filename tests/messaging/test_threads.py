"""Buyer-vendor threads: asking, replying, unread counts, bad input, block and report, response time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from messaging import selectors, services
from messaging.errors import BuyerBlocked, MessageInvalid, ThreadNotFound
from messaging.models import Block, Message, MessageAttachment, MessageReport, Thread
from messaging.templatetags.threads import response_time_label
from notifications.models import Notification
from tests.factories import MembershipFactory, UserFactory
from tests.messaging.conftest import listed, png_upload

pytestmark = pytest.mark.django_db


def _ask(client: Any, listing: Any, body: str, **files: Any) -> Any:
    return client.post(f"/p/{listing.pk}/questions/new/", {"body": body, **files})


def test_question_reaches_the_vendor_team_and_the_reply_the_buyer(
        client_for: Any, buyer: Any, vendor_b: Any, owner_b: Any, listing_b: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    buyer_client = client_for("marketplace.localhost", buyer)
    with django_capture_on_commit_callbacks(execute=True):
        response = _ask(buyer_client, listing_b, "Is the kettle induction-ready?")
    thread = Thread.objects.get(buyer=buyer)
    assert response.status_code == 302 and response["Location"] == f"/messages/{thread.pk}/"
    assert (thread.kind, thread.vendor_id, thread.listing_id) == ("question", vendor_b.pk, listing_b.pk)
    # The vendor's team hears of it in the app and by email, with a link back to the thread.
    notice = Notification.objects.get(recipient=owner_b, kind="message_received")
    assert notice.link.endswith(f"/dashboard/messages/{thread.pk}/")
    to_owner = [m for m in mail.outbox if owner_b.email in m.to]
    assert len(to_owner) == 1 and f"/dashboard/messages/{thread.pk}/" in to_owner[0].body
    assert "induction-ready" in to_owner[0].body
    assert selectors.unread_for_vendor(vendor=vendor_b) == 1

    vendor_client = client_for(vendor_b, owner_b)
    page = vendor_client.get(f"/dashboard/messages/{thread.pk}/")
    assert page.status_code == 200 and "induction-ready" in page.content.decode()
    assert selectors.unread_for_vendor(vendor=vendor_b) == 0  # read by opening it
    with django_capture_on_commit_callbacks(execute=True):
        reply = vendor_client.post(f"/dashboard/messages/{thread.pk}/", {"body": "Yes, on every hob."})
    assert reply.status_code == 302
    assert selectors.unread_for_buyer(user=buyer) == 1
    assert Notification.objects.filter(recipient=buyer, kind="message_received").count() == 1
    assert any(f"/messages/{thread.pk}/" in m.body for m in mail.outbox if buyer.email in m.to)
    listing_page = buyer_client.get("/messages/")
    assert 'data-unread="1"' in listing_page.content.decode()
    buyer_client.get(f"/messages/{thread.pk}/")
    assert selectors.unread_for_buyer(user=buyer) == 0


def test_asking_again_about_the_same_product_continues_the_thread(buyer: Any, listing_b: Any) -> None:
    first = services.question_ask(buyer=buyer, listing_id=listing_b.pk, body="One?")
    second = services.question_ask(buyer=buyer, listing_id=listing_b.pk, body="Two?")
    assert first.pk == second.pk and Message.objects.filter(thread=first).count() == 2


def test_more_than_10_kb_is_refused_and_nothing_is_stored(client_for: Any, buyer: Any, listing_b: Any) -> None:
    with pytest.raises(MessageInvalid):
        services.question_ask(buyer=buyer, listing_id=listing_b.pk, body="é" * 5121)  # 10,242 bytes
    response = _ask(client_for("marketplace.localhost", buyer), listing_b, "x" * 10241)
    assert response.status_code == 422 and "10 KB" in response.content.decode()
    assert not Thread.objects.exists() and not Message.objects.exists()
    assert services.body_clean("x" * 10240) == "x" * 10240  # exactly 10 KB is fine


def test_a_file_that_is_not_an_image_stores_nothing(client_for: Any, buyer: Any, listing_b: Any) -> None:
    fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00 not a picture", content_type="image/png")
    response = _ask(client_for("marketplace.localhost", buyer), listing_b, "See the photo", attachments=fake)
    assert response.status_code == 422
    assert not Thread.objects.exists() and not Message.objects.exists() and not MessageAttachment.objects.exists()


def test_markup_is_shown_as_text(client_for: Any, buyer: Any, vendor_b: Any, owner_b: Any, listing_b: Any) -> None:
    thread = services.question_ask(buyer=buyer, listing_id=listing_b.pk,
                                   body="<script>alert('x')</script> <b>bold</b>\x00\x07")
    stored = thread.messages.get().body
    assert "\x00" not in stored and "\x07" not in stored
    for client, url in ((client_for("marketplace.localhost", buyer), f"/messages/{thread.pk}/"),
                        (client_for(vendor_b, owner_b), f"/dashboard/messages/{thread.pk}/")):
        body = client.get(url).content.decode()
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
        assert "<script>alert" not in body and "<b>bold</b>" not in body


def test_attachments_are_served_only_to_the_parties(client_for: Any, buyer: Any, vendor_a: Any, owner_a: Any,
                                                    vendor_b: Any, owner_b: Any, listing_b: Any,
                                                    admin_user: Any) -> None:
    thread = services.question_ask(buyer=buyer, listing_id=listing_b.pk, body="Photo", attachments=[png_upload()])
    attachment = MessageAttachment.objects.get()
    path = f"/messages/{thread.pk}/attachments/{attachment.pk}/"
    dashboard_path = f"/dashboard/messages/{thread.pk}/attachments/{attachment.pk}/"
    own = client_for("marketplace.localhost", buyer).get(path)
    assert own.status_code == 200 and b"".join(own.streaming_content).startswith(b"\x89PNG")
    assert own["Cache-Control"] == "private, no-store"
    assert client_for(vendor_b, owner_b).get(dashboard_path).status_code == 200
    stranger = UserFactory()
    assert client_for("marketplace.localhost", stranger).get(path).status_code == 404
    assert client_for("marketplace.localhost", owner_b).get(path).status_code == 404  # not B's buyer page
    assert client_for(vendor_a, owner_a).get(dashboard_path).status_code == 404  # A's host, B's thread
    assert client_for(vendor_b, owner_a).get(dashboard_path).status_code == 404  # B's host, not a member
    # Ops: only an order thread whose claim was escalated.
    assert client_for("marketplace.localhost", admin_user).get(
        f"/ops/messages/{thread.pk}/attachments/{attachment.pk}/").status_code == 404
    # The stored file is not under any public URL.
    assert "messages/" in attachment.file.name and not attachment.file.name.startswith("/")


def test_vendor_a_never_lists_or_opens_bs_threads(client_for: Any, buyer: Any, vendor_a: Any, owner_a: Any,
                                                 listing_b: Any) -> None:
    thread = services.question_ask(buyer=buyer, listing_id=listing_b.pk, body="Secret question for Bravo")
    client = client_for(vendor_a, owner_a)
    listing = client.get("/dashboard/messages/").content.decode()
    assert "Bravo Copper Kettle" not in listing and "Secret question" not in listing
    assert client.get(f"/dashboard/messages/{thread.pk}/").status_code == 404
    assert client.post(f"/dashboard/messages/{thread.pk}/", {"body": "Hijack"}).status_code == 404
    assert client.post(f"/dashboard/messages/{thread.pk}/block/").status_code == 404
    assert Message.objects.filter(thread=thread).count() == 1 and not Block.objects.exists()
    with pytest.raises(ThreadNotFound):
        selectors.thread_for_vendor(vendor=vendor_a, thread_id=thread.pk)


def test_a_blocked_buyer_is_refused_with_a_clear_error(client_for: Any, buyer: Any, vendor_b: Any, owner_b: Any,
                                                      listing_b: Any) -> None:
    thread = services.question_ask(buyer=buyer, listing_id=listing_b.pk, body="Hello")
    staff = MembershipFactory(vendor=vendor_b, role="staff").user
    assert client_for(vendor_b, staff).post(f"/dashboard/messages/{thread.pk}/block/").status_code == 403
    assert client_for(vendor_b, owner_b).post(f"/dashboard/messages/{thread.pk}/block/").status_code == 302
    assert Block.objects.filter(vendor=vendor_b, buyer=buyer).exists()
    buyer_client = client_for("marketplace.localhost", buyer)
    response = buyer_client.post(f"/messages/{thread.pk}/", {"body": "Why?"})
    assert response.status_code == 403
    assert "This seller does not accept messages from you." in response.content.decode()
    other = listed(vendor_b, "Bravo Teapot")
    assert _ask(buyer_client, other, "And this one?").status_code == 403
    with pytest.raises(BuyerBlocked):
        services.question_ask(buyer=buyer, listing_id=other.pk, body="Again")
    assert Message.objects.count() == 1 and Thread.objects.count() == 1
    # The vendor may still answer, and unblock.
    services.message_post(thread=thread, author=owner_b, role="vendor", body="We are done here.")
    client_for(vendor_b, owner_b).post(f"/dashboard/messages/{thread.pk}/block/", {"action": "unblock"})
    assert buyer_client.post(f"/messages/{thread.pk}/", {"body": "Thanks"}).status_code == 302


def test_reports_of_the_other_partys_messages(client_for: Any, buyer: Any, vendor_b: Any, owner_b: Any,
                                              listing_b: Any) -> None:
    thread = services.question_ask(buyer=buyer, listing_id=listing_b.pk, body="Hello")
    answer = services.message_post(thread=thread, author=owner_b, role="vendor", body="Rude answer")
    client = client_for("marketplace.localhost", buyer)
    assert client.post(f"/messages/{thread.pk}/report/{answer.pk}/", {"reason": "rude"}).status_code == 302
    assert MessageReport.objects.get().reporter == buyer
    client.post(f"/messages/{thread.pk}/report/{answer.pk}/")  # twice: still one
    own = thread.messages.get(role="buyer")
    client.post(f"/messages/{thread.pk}/report/{own.pk}/")  # one's own: refused
    assert MessageReport.objects.count() == 1
    stranger = client_for("marketplace.localhost", UserFactory())
    assert stranger.post(f"/messages/{thread.pk}/report/{answer.pk}/").status_code == 404


def test_order_thread_one_per_part_and_only_for_its_buyer(client_for: Any, buyer: Any, order_b: Any,
                                                          owner_b: Any) -> None:
    sub = order_b.sub_orders.get()
    url = f"/orders/{order_b.pk}/parts/{sub.pk}/message/"
    assert client_for("marketplace.localhost", UserFactory()).post(url, {"body": "Hi"}).status_code == 404
    client = client_for("marketplace.localhost", buyer)
    assert client.get(url).status_code == 200
    client.post(url, {"body": "Where is my parcel?"})
    client.post(url, {"body": "Any news?"})
    thread = Thread.objects.get(sub_order=sub)
    assert thread.kind == "order" and thread.messages.count() == 2
    assert client.get(url)["Location"] == f"/messages/{thread.pk}/"
    assert Notification.objects.filter(recipient=owner_b, kind="message_received").count() == 2


def test_ops_read_an_order_thread_only_once_its_claim_is_escalated(client_for: Any, buyer: Any, order_b: Any,
                                                                   admin_user: Any) -> None:
    from tests.factories import ClaimFactory

    sub = order_b.sub_orders.get()
    thread = services.order_thread_write(buyer=buyer, sub_order_id=sub.pk, body="It arrived broken",
                                         attachments=[png_upload()])
    ops = client_for("marketplace.localhost", admin_user)
    assert ops.get(f"/ops/messages/{thread.pk}/").status_code == 404
    claim = ClaimFactory(sub_order=sub)
    assert ops.get(f"/ops/messages/{thread.pk}/").status_code == 404  # open, not escalated
    from disputes import services as claims

    claims.claim_reject(claim_id=claim.pk, vendor=sub.vendor, user=sub.vendor.memberships.get(role="owner").user,
                        reason="No")
    claims.claim_escalate(claim_id=claim.pk, user=buyer)
    page = ops.get(f"/ops/messages/{thread.pk}/")
    assert page.status_code == 200 and "It arrived broken" in page.content.decode()
    attachment = MessageAttachment.objects.get()
    assert ops.get(f"/ops/messages/{thread.pk}/attachments/{attachment.pk}/").status_code == 200
    assert f"/ops/messages/{thread.pk}/" in ops.get(f"/ops/claims/{claim.pk}/").content.decode()
    assert client_for("marketplace.localhost", buyer).get(f"/ops/messages/{thread.pk}/").status_code == 403


def _answered(vendor: Any, buyer: Any, listing: Any, wait: timedelta) -> None:
    thread = Thread.objects.create(kind="question", vendor=vendor, buyer=buyer, listing=listing, subject="Q",
                                   last_message_at=timezone.now())
    asked = timezone.now() - timedelta(days=2)
    owner = vendor.memberships.get(role="owner").user
    question = Message.objects.create(thread=thread, author=buyer, role="buyer", body="Q")
    answer = Message.objects.create(thread=thread, author=owner, role="vendor", body="A")
    Message.objects.filter(pk=question.pk).update(created_at=asked)
    Message.objects.filter(pk=answer.pk).update(created_at=asked + wait)


def test_typical_response_time_is_the_median_of_first_replies(client_for: Any, vendor_b: Any,
                                                              listing_b: Any) -> None:
    buyers = [UserFactory() for _ in range(3)]
    _answered(vendor_b, buyers[0], listing_b, timedelta(minutes=30))
    _answered(vendor_b, buyers[1], listing_b, timedelta(hours=5))
    assert selectors.vendor_response_seconds(vendor_id=vendor_b.pk) is None  # two say nothing typical
    _answered(vendor_b, buyers[2], listing_b, timedelta(hours=30))
    assert selectors.vendor_response_seconds(vendor_id=vendor_b.pk) == 5 * 3600
    assert response_time_label(5 * 3600) == "Usually answers within 5 hours"
    assert response_time_label(1800) == "Usually answers within an hour"
    assert response_time_label(30 * 3600) == "Usually answers within 2 days"
    assert "Usually answers within 5 hours" in client_for(vendor_b).get("/").content.decode()
    page = client_for("marketplace.localhost").get(f"/p/{listing_b.pk}/{listing_b.handle}/")
    assert "Usually answers within 5 hours" in page.content.decode()
    assert f"/p/{listing_b.pk}/questions/new/" in page.content.decode()
