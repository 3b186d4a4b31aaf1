"""`replay_webhook_events` and `reconcile` over a date range (the gateway's objects)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from payments import gateway, webhooks
from payments.models import PaymentRecord, WebhookEvent
from tests.payments.events import make_event, signed_headers
from tests.support.queued import queued_tasks

pytestmark = pytest.mark.django_db


def _store(event: dict[str, Any]) -> WebhookEvent:
    body = json.dumps(event)
    stored, _ = webhooks.webhook_event_receive(
        payload=body.encode(), signature=signed_headers(body)["HTTP_STRIPE_SIGNATURE"])
    return stored


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def events(monkeypatch: Any) -> dict[str, WebhookEvent]:
    monkeypatch.setitem(webhooks._HANDLERS, "test.cmd", [lambda event: None])
    made = {
        "failed_a": _store(make_event("test.cmd", event_id="evt_cmd_1")),
        "failed_b": _store(make_event("test.cmd", event_id="evt_cmd_2")),
        "applied": _store(make_event("test.cmd", event_id="evt_cmd_3")),
        "ignored": _store(make_event("other.thing", event_id="evt_cmd_4")),
    }
    WebhookEvent.objects.filter(stripe_id__in=["evt_cmd_1", "evt_cmd_2"]).update(status="failed", attempts=2)
    webhooks.webhook_event_apply(event_id=made["applied"].pk)
    WebhookEvent.objects.filter(stripe_id="evt_cmd_2").update(received_at=timezone.now() - timedelta(days=10))
    return made


def test_replay_defaults_to_failed_events_and_applies_with_sync(events: dict[str, WebhookEvent]) -> None:
    output = _run("replay_webhook_events", "--sync")
    assert "2 event(s) selected; 2 applied." in output
    assert set(WebhookEvent.objects.filter(status="applied").values_list("stripe_id", flat=True)) == {
        "evt_cmd_1", "evt_cmd_2", "evt_cmd_3"}


def test_replay_by_id_and_date_range(today: date, events: dict[str, WebhookEvent]) -> None:
    assert "1 event(s) selected" in _run("replay_webhook_events", "--id", "evt_cmd_1", "--sync")
    assert WebhookEvent.objects.get(stripe_id="evt_cmd_2").status == "failed"
    old = (today - timedelta(days=10)).isoformat()  # evt_cmd_2 was received ten days before today
    output = _run("replay_webhook_events", "--since", old, "--until", old, "--sync")
    assert "evt_cmd_2" in output and "1 event(s) selected" in output


def test_replay_queues_by_default(events: dict[str, WebhookEvent], django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        output = _run("replay_webhook_events", "--type", "test.*")
    assert "2 queued" in output
    failed = sorted(WebhookEvent.objects.filter(stripe_id__in=["evt_cmd_1", "evt_cmd_2"]).values_list("pk", flat=True))
    assert sorted(queued_tasks(callbacks)) == [("payments.tasks.webhook_event_apply", (pk,), "public") for pk in failed]
    assert WebhookEvent.objects.filter(status="received").count() == 2


def test_replay_dry_run_changes_nothing(events: dict[str, WebhookEvent]) -> None:
    output = _run("replay_webhook_events", "--dry-run")
    assert "would replay evt_cmd_1" in output
    assert WebhookEvent.objects.filter(status="failed").count() == 2


def test_replaying_applied_events_needs_force(events: dict[str, WebhookEvent]) -> None:
    with pytest.raises(CommandError):
        _run("replay_webhook_events", "--status", "applied")
    output = _run("replay_webhook_events", "--status", "applied", "--force", "--sync")
    assert "evt_cmd_3 test.cmd: applied -> applied" in output


@pytest.mark.parametrize("args", [("--since", "yesterday"), ("--id", "pi_123")])
def test_replay_bad_arguments(events: dict[str, WebhookEvent], args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError):
        _run("replay_webhook_events", *args)


def test_reconcile_lists_every_kind_of_mismatch() -> None:
    paid = gateway.payment_intent_create(order_id=900, amount=2000, currency="EUR", transfer_group="o900", metadata={})
    gateway.payment_intent_confirm(payment_intent_id=paid.id, payment_method="pm_card_visa")
    other = gateway.payment_intent_create(order_id=901, amount=2100, currency="EUR", transfer_group="o901", metadata={})
    remote_events = list(gateway.events_list(created_gte=None, created_lt=None))
    # store all but one event; mark one failed; add one the gateway never sent
    for event in remote_events[1:]:
        _store(event)
    WebhookEvent.objects.filter(stripe_id=remote_events[2]["id"]).update(status="failed")
    _store(make_event("charge.succeeded", event_id="evt_forged_or_test"))
    WebhookEvent.objects.filter(stripe_id="evt_forged_or_test").update(created=remote_events[0]["created"])
    PaymentRecord.objects.create(payment_intent_id=paid.id, status="processing", amount=2000,
                                 currency="EUR", last_event_created=1)
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("reconcile", "--since", "2000-01-01", "--until", "2100-01-01", "--json", stdout=out)
    assert exited.value.code == 1
    report = json.loads(out.getvalue())
    assert report["ok"] is False and "ledger" not in report  # a date range: the object checks only
    found = {(m["check"], m["kind"], m["object_id"]) for m in report["objects"]["mismatches"]}
    assert ("webhook_events", "missing_locally", remote_events[0]["id"]) in found
    assert ("webhook_events", "not_applied", remote_events[2]["id"]) in found
    assert ("webhook_events", "unknown_to_gateway", "evt_forged_or_test") in found
    assert ("payment_intents", "state_differs", paid.id) in found
    assert ("payment_intents", "missing_locally", other.id) in found


def test_reconcile_an_empty_window_is_clean() -> None:
    gateway.payment_intent_create(order_id=902, amount=2000, currency="EUR", transfer_group="o902", metadata={})
    output = _run("reconcile", "--since", "2001-01-01", "--until", "2001-01-02")
    assert "0 mismatch(es)" in output
    # The flag of the old reconcile_gateway command is still accepted (every mismatch exits 1).
    assert "0 mismatch(es)" in _run("reconcile", "--since", "2001-01-01", "--until", "2001-01-02",
                                    "--fail-on-mismatch")


@pytest.mark.parametrize("args", [("--since", "2026-02-02", "--until", "2026-01-01"),
                                  ("--since", "soon", "--until", "2026-01-01"),
                                  ("--since", "2026-01-01"),
                                  ("--check", "webhook_events"),
                                  ("--since", "2026-01-01", "--until", "2026-01-02", "--check", "nope")])
def test_reconcile_bad_arguments(args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError):
        _run("reconcile", *args)


def test_reconcile_reports_an_unreachable_gateway(settings: Any) -> None:
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    with pytest.raises(CommandError, match="gateway_unavailable"):
        _run("reconcile", "--since", "2026-01-01", "--until", "2026-01-02")
