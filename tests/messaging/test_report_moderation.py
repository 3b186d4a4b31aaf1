"""Ops' queue of reported messages: the message in its thread, hide / dismiss / block the sender,
each decision audit-logged; only ops; a refused decision changes nothing; hidden messages show to
nobody but ops (pages, API, files); a blocked sender can write nowhere."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import AuditLogEntry
from messaging import services
from messaging.errors import ReportAlreadyDecided, ReportInvalid, SenderBanned
from messaging.models import Message, MessageAttachment, MessageReport, MessagingBan
from tests.messaging.conftest import png_upload
from tests.support.state import rows

pytestmark = pytest.mark.django_db

QUEUE = "/ops/moderation/messages/"


@pytest.fixture
def reported(buyer: Any, owner_b: Any, listing_b: Any) -> MessageReport:
    thread = services.question_ask(buyer=buyer, listing_id=listing_b.pk, body="Is it copper all through?")
    answer = services.message_post(thread=thread, author=owner_b, role="vendor", body="Buy it or get lost, idiot",
                                   attachments=[png_upload("rude.png")])
    return services.message_report(thread=thread, message_id=answer.pk, reporter=buyer, role="buyer",
                                   reason="Insulting")


def _state() -> dict[str, Any]:
    return {**rows(Message, MessageReport, MessagingBan), "audit": list(AuditLogEntry.objects.values_list("verb"))}


def test_ops_see_the_reported_message_in_its_thread(client_for: Any, admin_user: Any, reported: Any) -> None:
    ops = client_for("marketplace.localhost", admin_user)
    queue = ops.get(QUEUE)
    assert queue.status_code == 200
    body = queue.content.decode()
    assert f'data-report="{reported.pk}"' in body and "Buy it or get lost" in body
    assert 'href="/ops/moderation/messages/"' in ops.get("/ops/moderation/").content.decode()  # the tab
    page = ops.get(f"{QUEUE}{reported.pk}/").content.decode()
    # The whole conversation, the reported message marked.
    assert "Is it copper all through?" in page and "Buy it or get lost, idiot" in page
    assert f'data-message="{reported.message_id}" aria-current="true"' in page
    assert "Insulting" in page
    assert "Decided" in queue.content.decode() and not ops.get(f"{QUEUE}?state=decided").context["page"].object_list


def test_hiding_removes_the_text_and_files_for_the_parties_and_logs_it(
        client_for: Any, admin_user: Any, buyer: Any, vendor_b: Any, owner_b: Any, reported: Any) -> None:
    ops = client_for("marketplace.localhost", admin_user)
    response = ops.post(f"{QUEUE}{reported.pk}/", {"action": "hide", "reason": "Insults the buyer"})
    assert response.status_code == 302 and response["Location"] == QUEUE
    message = Message.objects.get(pk=reported.message_id)
    assert message.hidden_at is not None and message.hidden_by == admin_user
    reported.refresh_from_db()
    assert (reported.outcome, reported.resolved_by, reported.note) == ("hidden", admin_user, "Insults the buyer")
    entry = AuditLogEntry.objects.get(verb="message.hide")
    assert (entry.actor_id, entry.vendor_id, entry.reason) == (admin_user.pk, vendor_b.pk, "Insults the buyer")
    thread = message.thread
    attachment = MessageAttachment.objects.get(message=message)
    buyer_client = client_for("marketplace.localhost", buyer)
    for client, page_url, file_url in (
        (buyer_client, f"/messages/{thread.pk}/", f"/messages/{thread.pk}/attachments/{attachment.pk}/"),
        (client_for(vendor_b, owner_b), f"/dashboard/messages/{thread.pk}/",
         f"/dashboard/messages/{thread.pk}/attachments/{attachment.pk}/"),
    ):
        page = client.get(page_url).content.decode()
        assert "get lost" not in page and "rude.png" not in page
        assert "This message was removed by the marketplace." in page
        assert client.get(file_url).status_code == 404
    # Nothing left to decide: the report is in the decided list.
    assert ops.get(f"{QUEUE}?state=decided").context["page"].object_list[0] == reported
    with pytest.raises(ReportAlreadyDecided):
        services.report_decide(admin=admin_user, report_id=reported.pk, action="dismiss")


def test_the_api_gives_no_text_of_a_hidden_message(client_for: Any, admin_user: Any, buyer: Any,
                                                   reported: Any) -> None:
    services.report_decide(admin=admin_user, report_id=reported.pk, action="hide", reason="Insults")
    api = client_for("marketplace.localhost", buyer)
    data = api.get(f"/api/v1/threads/{reported.message.thread_id}/messages/").json()
    hidden = [m for m in data["results"] if m["id"] == reported.message_id]
    assert hidden == [{**hidden[0], "body": "", "attachments": [], "hidden": True}]
    assert all(not m["hidden"] for m in data["results"] if m["id"] != reported.message_id)


def test_dismissing_closes_every_report_of_the_message_and_leaves_it_shown(
        client_for: Any, admin_user: Any, buyer: Any, owner_b: Any, vendor_b: Any, reported: Any) -> None:
    from tests.factories import MembershipFactory, UserFactory

    # Two reports of the buyer's question (the owner's and a staff member's): one decision closes both.
    staff = MembershipFactory(user=UserFactory(), vendor=vendor_b, role="staff").user
    thread = reported.message.thread
    question = thread.messages.get(role="buyer")
    first = services.message_report(thread=thread, message_id=question.pk, reporter=owner_b, role="vendor")
    second = services.message_report(thread=thread, message_id=question.pk, reporter=staff, role="vendor")
    ops = client_for("marketplace.localhost", admin_user)
    assert ops.post(f"{QUEUE}{first.pk}/", {"action": "dismiss"}).status_code == 302
    assert set(MessageReport.objects.filter(message=question).values_list("outcome", flat=True)) == {"dismissed"}
    second.refresh_from_db()
    assert second.resolved_by == admin_user
    assert Message.objects.get(pk=question.pk).hidden_at is None
    assert AuditLogEntry.objects.filter(verb="message.report_dismiss", actor_id=admin_user.pk).count() == 1
    # The other message's report is still open.
    assert MessageReport.objects.get(pk=reported.pk).resolved_at is None


def test_a_blocked_sender_can_write_nowhere(client_for: Any, admin_user: Any, buyer: Any, owner_b: Any,
                                            vendor_b: Any, listing_b: Any, reported: Any) -> None:
    ops = client_for("marketplace.localhost", admin_user)
    assert ops.post(f"{QUEUE}{reported.pk}/", {"action": "ban_sender", "reason": "Repeated abuse"}).status_code == 302
    ban = MessagingBan.objects.get(user=owner_b)
    assert (ban.created_by, ban.reason) == (admin_user, "Repeated abuse")
    assert AuditLogEntry.objects.filter(verb="message.sender_ban", actor_id=admin_user.pk).count() == 1
    thread = reported.message.thread
    before = rows(Message)
    with pytest.raises(SenderBanned):
        services.message_post(thread=thread, author=owner_b, role="vendor", body="Sorry")
    response = client_for(vendor_b, owner_b).post(f"/dashboard/messages/{thread.pk}/", {"body": "Sorry"})
    assert response.status_code == 403
    assert rows(Message) == before
    # The buyer is not affected.
    services.message_post(thread=thread, author=buyer, role="buyer", body="Thanks")
    assert "Blocked from messaging" in ops.get(f"{QUEUE}{reported.pk}/").content.decode()


@pytest.mark.parametrize(("data", "field"), [
    ({"action": "delete"}, "action"),
    ({"action": "hide"}, "reason"),
    ({"action": "ban_sender", "reason": "  "}, "reason"),
    ({"action": "hide", "reason": "x" * 501}, "reason"),
])
def test_a_refused_decision_changes_nothing(client_for: Any, admin_user: Any, reported: Any,
                                            data: dict[str, str], field: str) -> None:
    before = _state()
    response = client_for("marketplace.localhost", admin_user).post(f"{QUEUE}{reported.pk}/", data)
    assert response.status_code == 422
    assert field in response.context["errors"]
    assert _state() == before
    with pytest.raises(ReportInvalid):
        services.report_decide(admin=admin_user, report_id=reported.pk, **data)


def test_only_ops_reach_the_queue_and_nothing_changes_for_the_others(
        client_for: Any, buyer: Any, owner_b: Any, vendor_b: Any, reported: Any) -> None:
    before = _state()
    for client in (client_for("marketplace.localhost", buyer), client_for("marketplace.localhost", owner_b)):
        assert client.get(QUEUE).status_code == 403
        assert client.get(f"{QUEUE}{reported.pk}/").status_code == 403
        assert client.post(f"{QUEUE}{reported.pk}/", {"action": "hide", "reason": "x"}).status_code == 403
    # Not on a vendor host either (the ops console is the platform's).
    assert client_for(vendor_b, owner_b).get(QUEUE).status_code == 404
    assert client_for("marketplace.localhost").get(QUEUE).status_code == 302  # to sign in
    assert _state() == before
