"""Ops console webhook pages: admins only, filters, pagination, htmx, payload, replay."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from payments import webhooks
from payments.models import WebhookEvent
from tests.payments.events import make_event, signed_headers
from tests.support.queued import queued_tasks

pytestmark = pytest.mark.django_db


def _store(event_type: str, event_id: str, **kwargs: Any) -> WebhookEvent:
    body = json.dumps(make_event(event_type, event_id=event_id, **kwargs))
    event, _ = webhooks.webhook_event_receive(
        payload=body.encode(), signature=signed_headers(body)["HTTP_STRIPE_SIGNATURE"])
    return event


@pytest.fixture
def admin_client(client_for: Any, admin_user: Any) -> Any:
    return client_for("marketplace.localhost", admin_user)


@pytest.fixture
def failed_event(db: Any) -> WebhookEvent:
    event = _store("payment_intent.succeeded", "evt_ops_failed")
    WebhookEvent.objects.filter(pk=event.pk).update(
        status="failed", attempts=3, last_error="RuntimeError: boom in handler")
    event.refresh_from_db()
    return event


def test_anonymous_is_sent_to_login(platform_client: Any) -> None:
    response = platform_client.get("/ops/webhooks/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_finance_users_are_not_admins_here(client_for: Any, finance_user: Any) -> None:
    assert client_for("marketplace.localhost", finance_user).get("/ops/webhooks/").status_code == 403


def test_empty_state(admin_client: Any) -> None:
    response = admin_client.get("/ops/webhooks/")
    assert response.status_code == 200
    assert b"No webhook events match." in response.content
    assert b"<h1" in response.content


def test_list_filters_by_status_type_account_and_id(admin_client: Any, failed_event: WebhookEvent, vendor_a: Any) -> None:
    vendor_a.stripe_account_id = "acct_ops_alpha"
    vendor_a.save(update_fields=["stripe_account_id"])
    _store("charge.refunded", "evt_ops_ignored")
    _store("payout.paid", "evt_ops_connect", account="acct_ops_alpha")
    page = admin_client.get("/ops/webhooks/").content.decode()
    assert all(i in page for i in ("evt_ops_failed", "evt_ops_ignored", "evt_ops_connect"))
    failed = admin_client.get("/ops/webhooks/?status=failed").content.decode()
    assert "evt_ops_failed" in failed and "evt_ops_ignored" not in failed
    by_type = admin_client.get("/ops/webhooks/?type=charge.*").content.decode()
    assert "evt_ops_ignored" in by_type and "evt_ops_failed" not in by_type
    by_account = admin_client.get("/ops/webhooks/?account=acct_ops_alpha").content.decode()
    assert "evt_ops_connect" in by_account and "evt_ops_failed" not in by_account
    by_id = admin_client.get("/ops/webhooks/?q=evt_ops_ignored").content.decode()
    assert "evt_ops_ignored" in by_id and "evt_ops_connect" not in by_id


def test_received_date_range(today: date, admin_client: Any, failed_event: WebhookEvent) -> None:
    assert b"evt_ops_failed" in admin_client.get(f"/ops/webhooks/?received_from={today}&received_to={today}").content
    yesterday = today - timedelta(days=1)
    assert b"evt_ops_failed" not in admin_client.get(f"/ops/webhooks/?received_to={yesterday}").content


@pytest.mark.parametrize("query", ["received_from=notadate", "status=exploded",
                                   "received_from=2026-02-02&received_to=2026-01-01"])
def test_bad_filters_are_form_errors_not_500(admin_client: Any, failed_event: WebhookEvent, query: str) -> None:
    response = admin_client.get(f"/ops/webhooks/?{query}")
    assert response.status_code == 200
    assert b"is-invalid" in response.content
    assert b"evt_ops_failed" not in response.content


def test_pagination_and_htmx_partial(admin_client: Any, django_assert_max_num_queries: Any) -> None:
    for n in range(60):
        _store("charge.succeeded", f"evt_page_{n:03d}")
    with django_assert_max_num_queries(9):  # 8 + the staff two-factor check
        first = admin_client.get("/ops/webhooks/")
    assert first.content.count(b'data-event="evt_page_') == 50
    second = admin_client.get("/ops/webhooks/?page=2", HTTP_HX_REQUEST="true")
    assert second.content.count(b'data-event="evt_page_') == 10
    assert b"<html" not in second.content  # only the table for htmx
    assert b"Page 2 of 2" in second.content


def test_detail_shows_payload_and_error_and_replay_for_failed(admin_client: Any, failed_event: WebhookEvent) -> None:
    response = admin_client.get(f"/ops/webhooks/{failed_event.pk}/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "boom in handler" in content
    assert "pi_test_1" in content  # the payload
    assert 'id="replay-button"' in content


def test_no_replay_button_for_other_states(admin_client: Any) -> None:
    event = _store("charge.refunded", "evt_ops_ign")
    assert b'id="replay-button"' not in admin_client.get(f"/ops/webhooks/{event.pk}/").content


def test_replay_requeues_the_failed_event(admin_client: Any, failed_event: WebhookEvent,
                                          django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(f"/ops/webhooks/{failed_event.pk}/replay/")
    assert response.status_code == 302
    failed_event.refresh_from_db()
    assert failed_event.status == WebhookEvent.Status.RECEIVED
    assert queued_tasks(callbacks) == [("payments.tasks.webhook_event_apply", (failed_event.pk,), "public")]
    page = admin_client.get(response["Location"]).content.decode()
    assert "queued for replay" in page


def test_replay_via_htmx_redirects_with_a_header(admin_client: Any, failed_event: WebhookEvent) -> None:
    response = admin_client.post(f"/ops/webhooks/{failed_event.pk}/replay/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/ops/webhooks/{failed_event.pk}/"


def test_replaying_an_ignored_event_is_refused_with_a_message(admin_client: Any) -> None:
    event = _store("charge.refunded", "evt_ops_ign2")
    response = admin_client.post(f"/ops/webhooks/{event.pk}/replay/", follow=True)
    assert response.status_code == 200
    assert b"Only failed events can be replayed" in response.content
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.IGNORED


def test_unknown_ids_are_404(admin_client: Any) -> None:
    assert admin_client.get("/ops/webhooks/999999/").status_code == 404
    assert admin_client.post("/ops/webhooks/999999/replay/").status_code == 404


def test_replay_needs_post(admin_client: Any, failed_event: WebhookEvent) -> None:
    assert admin_client.get(f"/ops/webhooks/{failed_event.pk}/replay/").status_code == 405


def test_ops_nav_links_to_webhooks_for_admins_only(client_for: Any, admin_user: Any, finance_user: Any) -> None:
    assert b'href="/ops/webhooks/"' in client_for("marketplace.localhost", admin_user).get("/ops/").content
    assert b'href="/ops/webhooks/"' not in client_for("marketplace.localhost", finance_user).get("/ops/").content
