"""Payments isolation: webhook data is platform-only, and a Connect event acts only within the
connected account it names (vendor B's account never reads or changes vendor A's payments)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from payments import gateway, webhooks
from payments.models import PaymentRecord, WebhookEvent
from tests.payments.events import make_event, signed_headers
from tests.support.state import rows

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("gateway_on_emulator")]


@pytest.fixture
def stored_event(db: Any) -> WebhookEvent:
    body = json.dumps(make_event("climate.order.created", event_id="evt_iso_1"))
    event, _ = webhooks.webhook_event_receive(
        payload=body.encode(), signature=signed_headers(body)["HTTP_STRIPE_SIGNATURE"])
    return event


def test_vendor_hosts_serve_no_webhook_endpoint_and_no_ops_pages(
    client_for: Any, vendor_a: Any, owner_a: Any, stored_event: WebhookEvent
) -> None:
    client = client_for(vendor_a, owner_a)
    body = json.dumps(make_event(event_id="evt_iso_2"))
    assert client.post("/webhooks/stripe/", data=body, content_type="application/json",
                       **signed_headers(body)).status_code == 404
    assert client.get("/ops/webhooks/").status_code == 404
    assert client.get(f"/ops/webhooks/{stored_event.pk}/").status_code == 404
    assert WebhookEvent.objects.count() == 1


def test_vendor_owners_cannot_open_the_webhook_console(
    client_for: Any, owner_a: Any, stored_event: WebhookEvent, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for("marketplace.localhost", owner_a)
    assert client.get("/ops/webhooks/").status_code == 403
    assert client.get(f"/ops/webhooks/{stored_event.pk}/").status_code == 403
    WebhookEvent.objects.filter(pk=stored_event.pk).update(status=WebhookEvent.Status.FAILED, attempts=3)
    before = rows(WebhookEvent, PaymentRecord)
    with django_capture_on_commit_callbacks() as callbacks:
        assert client.post(f"/ops/webhooks/{stored_event.pk}/replay/").status_code == 403
    assert rows(WebhookEvent, PaymentRecord) == before and callbacks == []  # still failed, not queued


def test_a_connect_event_refetches_only_within_its_own_account(vendor_a: Any, vendor_b: Any) -> None:
    """A payment of A's account, announced as B's: the re-fetch runs as B and finds nothing."""
    import urllib.request

    account_a = gateway.account_create(vendor_id=vendor_a.pk, country="DE", email="a@x.com", business_name="A")
    account_b = gateway.account_create(vendor_id=vendor_b.pk, country="DE", email="b@x.com", business_name="B")
    vendor_a.stripe_account_id, vendor_b.stripe_account_id = account_a.id, account_b.id
    vendor_a.save(update_fields=["stripe_account_id"])
    vendor_b.save(update_fields=["stripe_account_id"])
    # a PaymentIntent owned by A's connected account (direct charge on A)
    request = urllib.request.Request(
        gateway.api_base() + "/v1/payment_intents", data=b"amount=1500&currency=eur", method="POST",
        headers={"Authorization": "Bearer sk_test_emulator", "Stripe-Account": account_a.id})
    with urllib.request.urlopen(request, timeout=10) as resp:
        pi_a = json.loads(resp.read())

    def apply(event: dict[str, Any]) -> WebhookEvent:
        body = json.dumps(event)
        stored, _ = webhooks.webhook_event_receive(
            payload=body.encode(), signature=signed_headers(body)["HTTP_STRIPE_SIGNATURE"])
        return webhooks.webhook_event_apply(event_id=stored.pk)

    first = apply(make_event("payment_intent.created", pi_a, event_id="evt_b_1", created=50,
                             account=account_b.id))
    assert first.status == WebhookEvent.Status.APPLIED
    record = PaymentRecord.objects.get()
    assert record.account == account_b.id  # recorded under the account the event named
    # an older event makes the handler ask the gateway — as B, which cannot see A's payment
    second = apply(make_event("payment_intent.created", pi_a, event_id="evt_b_2", created=40,
                              account=account_b.id))
    assert second.status == WebhookEvent.Status.FAILED
    assert "ResourceMissing" in second.last_error
    record.refresh_from_db()
    assert record.refetched == 0


def test_events_for_accounts_of_no_vendor_are_rejected(platform_client: Any, vendor_a: Any) -> None:
    vendor_a.stripe_account_id = "acct_alpha_iso"
    vendor_a.save(update_fields=["stripe_account_id"])
    body = json.dumps(make_event("account.updated", {"id": "acct_stranger", "object": "account"},
                                 event_id="evt_iso_3", account="acct_stranger"))
    response = platform_client.post("/webhooks/stripe/", data=body, content_type="application/json",
                                    **signed_headers(body))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "account_unknown"
    assert not WebhookEvent.objects.exists()
