"""Full money flows: the SDK drives the emulator, which delivers signed webhooks to the running
Django app (live server); a real Celery worker applies them. Then THE test: every event of the
flow delivered three times, shuffled, with concurrent duplicates, ends in the same state as one
in-order delivery."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.management import call_command

from payments.models import PaymentRecord, WebhookEvent
from tenants.services import public_tenant_ensure
from tests.payments.events import WEBHOOK_SECRET, wait_until
from tests.payments.flows import full_flow, gateway_events, post_signed
from vendors.models import Vendor

pytestmark = pytest.mark.django_db(transaction=True)


def _link(vendor: Vendor) -> Any:
    def link(account_id: str) -> None:
        Vendor.objects.filter(pk=vendor.pk).update(stripe_account_id=account_id)

    return link


def _all_processed() -> bool:
    return not WebhookEvent.objects.filter(status__in=["received", "failed"]).exists()


def _snapshot() -> dict[str, Any]:
    events = {
        e.stripe_id: (e.type, e.account, e.created, e.status, e.payload)
        for e in WebhookEvent.objects.all()
    }
    records = {
        r.payment_intent_id: (r.account, r.status, r.amount, r.currency, r.latest_charge,
                              r.last_error_code, r.last_event_created, r.last_event_id)
        for r in PaymentRecord.objects.all()
    }
    return {"events": events, "records": records}


def test_full_flow_delivered_by_the_emulator_is_stored_and_applied(
    live_server: Any, task_worker: Any, vendor_a: Vendor, deliver_to: Any, emulator: Any, ctl: Any
) -> None:
    public_tenant_ensure()
    deliver_to(live_server.url)
    flow = full_flow(vendor_id=vendor_a.pk, link_vendor=_link(vendor_a))
    flushed = ctl("/_emulator/webhooks/flush", {"timeout": 30})
    assert not flushed["timed_out"]
    assert all(d["ok"] for d in flushed["deliveries"]), [d for d in flushed["deliveries"] if not d["ok"]]

    expected = {e["id"] for e in gateway_events(flow["account_id"])}
    wait_until(lambda: set(WebhookEvent.objects.values_list("stripe_id", flat=True)) == expected,
               message="every gateway event stored")
    wait_until(_all_processed, message="every event applied or ignored")

    intents = flow["intents"]
    by_pi = {r.payment_intent_id: r for r in PaymentRecord.objects.all()}
    assert by_pi[intents["visa"].id].status == "succeeded"
    assert by_pi[intents["visa"].id].latest_charge == intents["visa"].latest_charge
    assert by_pi[intents["three_d_secure"].id].status == "succeeded"
    assert by_pi[intents["declined"].id].status == "requires_payment_method"
    assert by_pi[intents["declined"].id].last_error_code == "generic_decline"
    assert by_pi[intents["insufficient_funds"].id].last_error_code == "insufficient_funds"
    assert flow["declines"]["insufficient_funds"] == "insufficient_funds"
    assert {r.amount for r in by_pi.values()} == {i.amount for i in intents.values()}

    types = set(WebhookEvent.objects.values_list("type", flat=True))
    for expected_type in ("account.updated", "charge.refunded", "transfer.created", "transfer.reversed",
                          "payout.paid", "charge.dispute.created", "charge.dispute.closed",
                          "charge.dispute.funds_reinstated", "payment_intent.requires_action"):
        assert expected_type in types, expected_type
    connect = WebhookEvent.objects.filter(account=flow["account_id"])
    assert connect.filter(type="account.updated").exists()
    assert connect.filter(type="payout.paid").exists()
    assert WebhookEvent.objects.filter(type="charge.refunded", status="ignored").exists()
    # the account.updated handler (vendors app) ran on the Connect event
    assert connect.get(type="account.updated").status == WebhookEvent.Status.APPLIED

    # reconcile: local state matches the gateway
    from io import StringIO

    out = StringIO()
    call_command("reconcile", "--since", "2000-01-01", "--until", "2100-01-01", stdout=out)
    assert "0 mismatch(es)" in out.getvalue(), out.getvalue()


def test_three_shuffled_concurrent_deliveries_equal_one_in_order_delivery(
    live_server: Any, task_worker: Any, vendor_a: Vendor, emulator: Any
) -> None:
    public_tenant_ensure()
    flow = full_flow(vendor_id=vendor_a.pk, link_vendor=_link(vendor_a))  # webhooks not delivered
    events = gateway_events(flow["account_id"])
    assert len(events) > 40
    assert WebhookEvent.objects.count() == 0
    url = live_server.url + "/webhooks/stripe/"

    # 1. one delivery, in order, each applied before the next is sent
    for event in events:
        assert post_signed(url, event, WEBHOOK_SECRET) == 200
        wait_until(_all_processed, message=f"{event['id']} applied")
    in_order = _snapshot()
    assert len(in_order["events"]) == len(events)
    assert len(in_order["records"]) == len(flow["intents"])

    # 2. start again from nothing; every event three times, shuffled, eight senders at once,
    #    and a burst of the same event posted by many threads at the same instant
    WebhookEvent.objects.all().delete()
    PaymentRecord.objects.all().delete()
    deliveries = events * 3
    random.Random(20261125).shuffle(deliveries)
    burst = [e for e in events if e["type"].startswith("payment_intent.")][:6]
    barrier = threading.Barrier(len(burst) * 4)

    def burst_post(event: dict[str, Any]) -> int:
        barrier.wait(timeout=30)
        return post_signed(url, event, WEBHOOK_SECRET)

    with ThreadPoolExecutor(max_workers=len(burst) * 4) as pool:
        burst_codes = list(pool.map(burst_post, [e for e in burst for _ in range(4)]))
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda e: post_signed(url, e, WEBHOOK_SECRET), deliveries))
    assert set(codes) == {200} and set(burst_codes) == {200}
    wait_until(lambda: WebhookEvent.objects.count() == len(events) and _all_processed(), timeout=60,
               message="shuffled deliveries applied")
    shuffled = _snapshot()

    assert shuffled["records"] == in_order["records"]
    assert shuffled["events"] == in_order["events"]
    dupes = sum(WebhookEvent.objects.values_list("duplicate_deliveries", flat=True))
    assert dupes == len(events) * 2 + len(burst) * 4  # every extra copy answered, nothing stored
