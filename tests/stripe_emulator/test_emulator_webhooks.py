"""Webhook delivery: real signatures, retries, duplicates, reordering, hold and flush, resend."""

from __future__ import annotations

import time
from typing import Any

import stripe
from emulator_helpers import WEBHOOK_SECRET, onboard, pay

from stripe_emulator import sign


def test_events_arrive_signed_and_verify_with_the_sdk(
    client: stripe.StripeClient, receiver: Any
) -> None:
    pi = pay(client, 1_000)

    receiver.wait_for(lambda r: "payment_intent.succeeded" in r.types())

    assert receiver.rejected == []
    succeeded = next(e for e in receiver.received if e["type"] == "payment_intent.succeeded")
    assert succeeded["data"]["object"]["id"] == pi.id
    assert succeeded["livemode"] is False and succeeded["object"] == "event"
    assert succeeded["api_version"] and succeeded["created"]
    assert succeeded["request"]["idempotency_key"]
    assert "account" not in succeeded
    assert receiver.types()[:3] == ["payment_intent.created", "charge.succeeded",
                                    "payment_intent.succeeded"]  # fmt: skip


def test_signature_is_stripes_scheme() -> None:
    header = sign('{"id": "evt_1"}', WEBHOOK_SECRET, timestamp=int(time.time()))

    event = stripe.Webhook.construct_event('{"id": "evt_1"}', header, WEBHOOK_SECRET)

    assert event.id == "evt_1"
    assert header.startswith("t=") and ",v1=" in header


def test_wrong_secret_is_rejected_by_the_receiver(
    client: stripe.StripeClient, receiver: Any, ctl: Any, emulator: Any
) -> None:
    ctl("/_emulator/webhooks/config", {"secret": "whsec_other", "max_attempts": 1})

    pay(client, 1_000)
    emulator.flush_webhooks()

    assert receiver.received == [] and receiver.rejected
    deliveries = ctl("/_emulator/webhooks/deliveries")["deliveries"]
    assert deliveries and all(d["status"] == 400 and not d["ok"] for d in deliveries)


def test_failed_deliveries_are_retried_with_backoff(
    client: stripe.StripeClient, receiver: Any, ctl: Any, emulator: Any
) -> None:
    receiver.fail_first = 2
    customer = client.v1.customers.create(params={"email": "r@example.com"})

    emulator.flush_webhooks()

    deliveries = ctl("/_emulator/webhooks/deliveries")["deliveries"]
    assert [d["attempt"] for d in deliveries] == [1, 2, 3]
    assert [d["status"] for d in deliveries] == [500, 500, 200]
    assert receiver.types() == ["customer.created"]
    event = client.v1.events.list().data[0]
    assert event.data.object.id == customer.id and event.pending_webhooks == 0


def test_retries_are_bounded_when_the_endpoint_is_down(
    client: stripe.StripeClient, ctl: Any, emulator: Any
) -> None:
    ctl("/_emulator/webhooks/config",
        {"url": "http://127.0.0.1:9/unreachable", "max_attempts": 3, "retry_base_ms": 10})  # fmt: skip

    client.v1.customers.create(params={"email": "down@example.com"})
    result = ctl("/_emulator/webhooks/flush", {"timeout": 10})

    deliveries = ctl("/_emulator/webhooks/deliveries")["deliveries"]
    assert not result["timed_out"] and result["pending"] == 0
    assert [d["attempt"] for d in deliveries] == [1, 2, 3]
    assert all(d["status"] is None and d["error"] for d in deliveries)
    assert client.v1.events.list().data[0].pending_webhooks == 1


def test_duplicate_control_delivers_every_event_n_times(
    client: stripe.StripeClient, receiver: Any, ctl: Any
) -> None:
    ctl("/_emulator/webhooks/config", {"duplicate": 3, "concurrency": 3})

    client.v1.customers.create(params={"email": "d@example.com"})
    ctl("/_emulator/webhooks/flush", {})

    deliveries = ctl("/_emulator/webhooks/deliveries")["deliveries"]
    assert receiver.types() == ["customer.created"] * 3
    assert len(set(receiver.ids())) == 1
    assert sorted(d["copy"] for d in deliveries) == [1, 2, 3]


def test_paused_deliveries_are_held_until_flushed_and_can_be_reordered(
    client: stripe.StripeClient, receiver: Any, ctl: Any
) -> None:
    ctl("/_emulator/webhooks/config", {"paused": True, "reorder": True})
    for i in range(12):
        client.v1.customers.create(params={"name": f"c{i}"})
    held = ctl("/_emulator/webhooks/deliveries")
    assert held["pending"] == 12 and held["deliveries"] == [] and receiver.received == []

    ctl("/_emulator/webhooks/flush", {})

    emitted = [e.id for e in reversed(client.v1.events.list(params={"limit": 100}).data)]
    assert sorted(receiver.ids()) == sorted(emitted)
    assert receiver.ids() != emitted  # 12! orders: a shuffle equal to the original is ~2e-9


def test_delay_control_holds_each_delivery(
    client: stripe.StripeClient, receiver: Any, ctl: Any
) -> None:
    ctl("/_emulator/webhooks/config", {"delay_ms": 300})
    started = time.monotonic()

    client.v1.customers.create(params={"name": "slow"})
    receiver.wait_for(lambda r: len(r.received) == 1)

    assert time.monotonic() - started >= 0.3


def test_resend_redelivers_a_stored_event(
    client: stripe.StripeClient, receiver: Any, ctl: Any, emulator: Any
) -> None:
    client.v1.customers.create(params={"name": "again"})
    emulator.flush_webhooks()
    event_id = receiver.ids()[0]

    ctl(f"/_emulator/events/{event_id}/resend", {})
    emulator.flush_webhooks()

    assert receiver.ids() == [event_id, event_id]


def test_connect_events_carry_the_account_and_are_listed_under_it(
    client: stripe.StripeClient, receiver: Any, emulator: Any
) -> None:
    vendor = onboard(client)
    charge = pay(client, 10_000).latest_charge
    client.v1.transfers.create(
        params={"amount": 3_000, "currency": "usd", "destination": vendor.id,
                "source_transaction": charge.id}
    )  # fmt: skip
    client.v1.payouts.create(
        params={"amount": 3_000, "currency": "usd"}, options={"stripe_account": vendor.id}
    )
    emulator.flush_webhooks()

    connect_types = {e["type"] for e in receiver.received if e.get("account") == vendor.id}
    vendor_events = client.v1.events.list(options={"stripe_account": vendor.id})
    platform_events = client.v1.events.list(params={"limit": 100})

    assert {"account.updated", "payout.created", "payout.paid"} <= connect_types
    assert all(e.account == vendor.id for e in vendor_events.data)
    assert all(getattr(e, "account", None) is None for e in platform_events.data)
    assert "transfer.created" in {e.type for e in platform_events.data}


def test_event_list_filters_by_type_and_previous_attributes(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "old@example.com"})
    client.v1.customers.update(customer.id, params={"email": "new@example.com"})

    updated = client.v1.events.list(params={"type": "customer.updated"})
    wildcard = client.v1.events.list(params={"type": "customer.*"})

    assert len(updated.data) == 1
    assert updated.data[0].data.previous_attributes.email == "old@example.com"
    assert updated.data[0].data.object.email == "new@example.com"
    assert len(wildcard.data) == 2
    assert client.v1.events.retrieve(updated.data[0].id).type == "customer.updated"
