"""`/webhooks/stripe/`: verified on the raw body, stored once by event id, bad input rejected."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from payments.models import PaymentRecord, WebhookEvent
from tests.payments.events import WEBHOOK_SECRET, make_event, signed_headers
from tests.support.queued import queued_tasks

pytestmark = pytest.mark.django_db


def test_valid_event_is_stored_once_and_answered_200(post_event: Any, django_capture_on_commit_callbacks: Any) -> None:
    event = make_event("payment_intent.created", event_id="evt_store_1")
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_event(event)
    assert response.status_code == 200
    assert response.json() == {
        "received": True, "id": "evt_store_1", "duplicate": False, "status": "received"
    }
    stored = WebhookEvent.objects.get()
    assert stored.stripe_id == "evt_store_1"
    assert stored.type == "payment_intent.created"
    assert stored.created == 1_700_000_000
    assert stored.payload == event
    assert json.loads(stored.raw_body) == event
    assert stored.status == WebhookEvent.Status.RECEIVED
    assert queued_tasks(callbacks) == [("payments.tasks.webhook_event_apply", (stored.pk,), "public")]  # after commit


def test_duplicate_delivery_stores_nothing_more(post_event: Any, django_capture_on_commit_callbacks: Any) -> None:
    event = make_event(event_id="evt_dup_1")
    post_event(event)
    with django_capture_on_commit_callbacks() as callbacks:
        second = post_event(event)
    assert second.status_code == 200
    assert second.json()["duplicate"] is True
    assert WebhookEvent.objects.count() == 1
    assert WebhookEvent.objects.get().duplicate_deliveries == 1
    assert callbacks == []  # a fresh duplicate does not queue the event again


def test_raw_body_is_what_is_verified_not_a_reserialisation(platform_client: Any) -> None:
    # Same JSON, other whitespace: a signature over a re-serialised body would not match.
    body = json.dumps(make_event(event_id="evt_raw_1"), indent=4)
    response = platform_client.post(
        "/webhooks/stripe/", data=body, content_type="application/json", **signed_headers(body)
    )
    assert response.status_code == 200
    assert WebhookEvent.objects.get().raw_body == body


def test_unknown_event_type_is_stored_as_ignored(post_event: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_event(make_event("climate.order.created", event_id="evt_unknown_type"))
    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.IGNORED
    assert callbacks == []


def _assert_rejected(response: Any, code: str) -> None:
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == code
    assert set(body["error"]) == {"code", "message", "fields"}
    assert WebhookEvent.objects.count() == 0
    assert PaymentRecord.objects.count() == 0


def test_missing_signature_is_400(platform_client: Any, caplog: Any) -> None:
    body = json.dumps(make_event())
    with caplog.at_level(logging.WARNING, logger="payments.views"):
        response = platform_client.post("/webhooks/stripe/", data=body, content_type="application/json")
    _assert_rejected(response, "signature_missing")
    assert "signature_missing" in caplog.text


def test_wrong_secret_is_400(post_event: Any, caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="payments.views"):
        response = post_event(make_event(), secret="whsec_someone_else")
    _assert_rejected(response, "signature_invalid")
    assert "signature_invalid" in caplog.text


def test_tampered_body_is_400(platform_client: Any) -> None:
    body = json.dumps(make_event())
    headers = signed_headers(body)
    tampered = body.replace("pi_test_1", "pi_test_2")
    response = platform_client.post("/webhooks/stripe/", data=tampered, content_type="application/json", **headers)
    _assert_rejected(response, "signature_invalid")


def test_stale_timestamp_is_400(post_event: Any, caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="payments.views"):
        response = post_event(make_event(), timestamp=int(time.time()) - 3600)
    _assert_rejected(response, "timestamp_stale")
    assert "timestamp_stale" in caplog.text


def test_malformed_json_with_a_valid_signature_is_400(post_event: Any) -> None:
    _assert_rejected(post_event('{"id": "evt_1", "type": '), "payload_malformed")


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        json.dumps({"id": "evt_1", "type": "x"}),
        json.dumps({**make_event(), "id": "not_an_event"}),
        json.dumps({**make_event(), "created": "yesterday"}),
        json.dumps({**make_event(), "data": {"object": "pi_1"}}),
    ],
)
def test_json_that_is_not_a_stripe_event_is_400(post_event: Any, body: str) -> None:
    _assert_rejected(post_event(body), "payload_malformed")


def test_unknown_connected_account_is_400(post_event: Any, caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="payments.views"):
        response = post_event(make_event("account.updated", {"id": "acct_nobody", "object": "account"},
                                         account="acct_nobody"))
    _assert_rejected(response, "account_unknown")
    assert "acct_nobody" in caplog.text


def test_event_of_a_known_connected_account_is_stored(post_event: Any, vendor_a: Any) -> None:
    vendor_a.stripe_account_id = "acct_alpha_known"
    vendor_a.save(update_fields=["stripe_account_id"])
    response = post_event(make_event("payout.paid", {"id": "po_1", "object": "payout"},
                                     event_id="evt_connect_1", account="acct_alpha_known"))
    assert response.status_code == 200
    assert WebhookEvent.objects.get().account == "acct_alpha_known"


def test_no_secret_configured_rejects_everything(post_event: Any, settings: Any) -> None:
    settings.STRIPE_WEBHOOK_SECRET = ""
    _assert_rejected(post_event(make_event()), "webhook_not_configured")


def test_the_connect_endpoints_secret_is_accepted_too(post_event: Any, vendor_a: Any, settings: Any) -> None:
    # Stripe signs a Connect endpoint's deliveries with that endpoint's own secret.
    vendor_a.stripe_account_id = "acct_alpha_connect"
    vendor_a.save(update_fields=["stripe_account_id"])
    event = make_event("account.updated", {"id": "acct_alpha_connect", "object": "account"},
                       event_id="evt_connect_secret", account="acct_alpha_connect")
    assert post_event(event, secret="whsec_connect_endpoint").status_code == 400
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_connect_endpoint"
    assert post_event(event, secret="whsec_connect_endpoint").status_code == 200
    assert post_event(make_event(event_id="evt_platform_secret")).status_code == 200  # the platform's still works
    stale = post_event(make_event(event_id="evt_connect_stale"), secret="whsec_connect_endpoint",
                                        timestamp=int(time.time()) - 3600)
    assert stale.json()["error"]["code"] == "timestamp_stale"
    assert WebhookEvent.objects.count() == 2


def test_the_connect_secret_alone_is_a_configured_intake(post_event: Any, settings: Any) -> None:
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_connect_only"
    assert post_event(make_event(event_id="evt_connect_only"), secret="whsec_connect_only").status_code == 200
    assert post_event(make_event(event_id="evt_platform_gone")).json()["error"]["code"] == "signature_invalid"


def test_get_is_405_with_the_error_body(platform_client: Any) -> None:
    response = platform_client.get("/webhooks/stripe/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_endpoint_is_not_served_on_vendor_hosts(client_for: Any, vendor_a: Any) -> None:
    body = json.dumps(make_event())
    response = client_for(vendor_a).post(
        "/webhooks/stripe/", data=body, content_type="application/json", **signed_headers(body)
    )
    assert response.status_code == 404
    assert WebhookEvent.objects.count() == 0


def test_signature_secret_is_the_configured_one(post_event: Any) -> None:
    assert post_event(make_event(event_id="evt_secret_ok"), secret=WEBHOOK_SECRET).status_code == 200


def test_intake_query_count_is_pinned(post_event: Any, django_assert_max_num_queries: Any) -> None:
    post_event(make_event(event_id="evt_warm"))  # warm caches (tenant lookup, content types)
    # search_path ×2, host lookup, savepoint, INSERT … ON CONFLICT, read back, release
    with django_assert_max_num_queries(7):
        assert post_event(make_event(event_id="evt_pinned")).status_code == 200
    with django_assert_max_num_queries(8):  # duplicate: + counter UPDATE
        assert post_event(make_event(event_id="evt_pinned")).status_code == 200
