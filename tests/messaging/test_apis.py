"""Messages API: each party's own threads only, read marks, refusals as error bodies."""

from __future__ import annotations

from typing import Any

import pytest

from messaging import selectors, services
from messaging.models import Message

pytestmark = pytest.mark.django_db


def test_buyer_and_vendor_apis_read_and_answer_their_own_thread(client_for: Any, buyer: Any, vendor_b: Any,
                                                                 owner_b: Any, listing_b: Any) -> None:
    thread = services.question_ask(buyer=buyer, listing_id=listing_b.pk, body="Is it copper?")
    vendor_api = client_for(vendor_b, owner_b)
    listed = vendor_api.get("/api/v1/vendor/threads/").json()
    assert [(t["id"], t["unread"]) for t in listed["results"]] == [(thread.pk, 1)]
    messages = vendor_api.get(f"/api/v1/vendor/threads/{thread.pk}/messages/").json()
    assert [m["body"] for m in messages["results"]] == ["Is it copper?"]
    assert selectors.unread_for_vendor(vendor=vendor_b) == 0
    answer = vendor_api.post(f"/api/v1/vendor/threads/{thread.pk}/messages/", {"body": "Solid copper."},
                             content_type="application/json")
    assert answer.status_code == 201 and answer.json()["role"] == "vendor"
    buyer_api = client_for("marketplace.localhost", buyer)
    assert buyer_api.get("/api/v1/threads/").json()["results"][0]["unread"] == 1
    assert buyer_api.get(f"/api/v1/threads/{thread.pk}/messages/").json()["count"] == 2
    assert buyer_api.get("/api/v1/threads/").json()["results"][0]["unread"] == 0


def test_another_vendor_or_buyer_gets_404_and_changes_nothing(client_for: Any, buyer: Any, vendor_a: Any,
                                                              owner_a: Any, listing_b: Any) -> None:
    from tests.factories import UserFactory

    thread = services.question_ask(buyer=buyer, listing_id=listing_b.pk, body="Private question")
    a_api = client_for(vendor_a, owner_a)
    assert a_api.get("/api/v1/vendor/threads/").json()["results"] == []
    assert a_api.get(f"/api/v1/vendor/threads/{thread.pk}/messages/").status_code == 404
    refused = a_api.post(f"/api/v1/vendor/threads/{thread.pk}/messages/", {"body": "Hijack"},
                         content_type="application/json")
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "thread_not_found"
    stranger = client_for("marketplace.localhost", UserFactory())
    assert stranger.get(f"/api/v1/threads/{thread.pk}/messages/").status_code == 404
    assert stranger.get("/api/v1/threads/").json()["results"] == []
    assert Message.objects.filter(thread=thread).count() == 1


def test_blocked_and_oversized_messages_answer_error_bodies(client_for: Any, buyer: Any, vendor_b: Any,
                                                            owner_b: Any, listing_b: Any) -> None:
    thread = services.question_ask(buyer=buyer, listing_id=listing_b.pk, body="Hello")
    api = client_for("marketplace.localhost", buyer)
    url = f"/api/v1/threads/{thread.pk}/messages/"
    too_long = api.post(url, {"body": "x" * 10241}, content_type="application/json")
    assert too_long.status_code == 400 and too_long.json()["error"]["code"] == "message_invalid"
    services.buyer_block(vendor=vendor_b, buyer=buyer, actor=owner_b)
    blocked = api.post(url, {"body": "Please"}, content_type="application/json")
    assert blocked.status_code == 403
    assert blocked.json()["error"] == {"code": "buyer_blocked", "fields": {},
                                       "message": "This seller does not accept messages from you."}
    assert Message.objects.filter(thread=thread).count() == 1
