"""Stripe's live-mode webhook retries on the emulator's clock: back-off from a minute, doubling,
for up to three days; an hour-long outage ends in one successful late delivery."""

from __future__ import annotations

import itertools
from typing import Any

import stripe

from stripe_emulator.webhooks import RETRY_WINDOW_S, stripe_retry_delay


def _advance(ctl: Any, seconds: int) -> list[dict[str, Any]]:
    """Move the emulator's clock, let what fell due go out; the attempts made meanwhile (a retry
    may go out as soon as the clock moves, before the flush starts)."""
    before = len(ctl("/_emulator/webhooks/deliveries")["deliveries"])
    ctl("/_emulator/clock/advance", {"seconds": seconds})
    ctl("/_emulator/webhooks/flush", {"timeout": 10})
    return list(ctl("/_emulator/webhooks/deliveries")["deliveries"][before:])


def test_an_hour_of_outage_is_retried_on_stripes_schedule_and_delivered_once_it_is_back(
    client: stripe.StripeClient, receiver: Any, ctl: Any
) -> None:
    ctl("/_emulator/webhooks/config", {"retry_schedule": "stripe"})
    receiver.status = 503

    client.v1.customers.create(params={"email": "late@example.com"})
    first = ctl("/_emulator/webhooks/flush", {"timeout": 10})
    # The first attempt may go out before the flush starts: read every attempt made so far.
    assert [d["status"] for d in ctl("/_emulator/webhooks/deliveries")["deliveries"]] == [503]
    assert first["scheduled"] == 1 and not first["timed_out"]  # a retry an hour away does not block flush

    # A second short of the first retry: nothing goes out; at the minute it does.
    assert _advance(ctl, 59) == []
    assert [d["attempt"] for d in _advance(ctl, 1)] == [2]

    # The endpoint stays down for the rest of the hour: one attempt at each back-off step.
    elapsed = 60
    while elapsed < 3600:
        _advance(ctl, 60)
        elapsed += 60
    attempts = ctl("/_emulator/webhooks/deliveries")["deliveries"]
    gaps = [round(b["delivered_at"] - a["delivered_at"]) for a, b in itertools.pairwise(attempts)]
    assert [d["attempt"] for d in attempts] == [1, 2, 3, 4, 5, 6]
    assert all(abs(gap - stripe_retry_delay(n)) <= 60 for n, gap in enumerate(gaps, start=1)), gaps

    receiver.status = 200
    late = _advance(ctl, stripe_retry_delay(6))
    assert [(d["attempt"], d["status"]) for d in late] == [(7, 200)]
    assert client.v1.events.list().data[0].pending_webhooks == 0
    assert ctl("/_emulator/webhooks/deliveries")["scheduled"] == []


def test_retries_stop_three_days_after_the_first_attempt(
    client: stripe.StripeClient, receiver: Any, ctl: Any
) -> None:
    ctl("/_emulator/webhooks/config", {"retry_schedule": "stripe"})
    receiver.status = 500
    client.v1.customers.create(params={"email": "gone@example.com"})
    ctl("/_emulator/webhooks/flush", {"timeout": 10})

    for _ in range(40):  # 40 × 6 h: past the three-day window whatever the step
        _advance(ctl, 6 * 3600)

    attempts = ctl("/_emulator/webhooks/deliveries")["deliveries"]
    assert attempts[-1]["delivered_at"] - attempts[0]["delivered_at"] <= RETRY_WINDOW_S
    assert ctl("/_emulator/webhooks/deliveries")["scheduled"] == []
    assert client.v1.events.list().data[0].pending_webhooks == 1  # never delivered


def test_an_unknown_retry_schedule_is_refused(ctl: Any) -> None:
    import urllib.error

    try:
        ctl("/_emulator/webhooks/config", {"retry_schedule": "sometimes"})
    except urllib.error.HTTPError as error:
        assert error.code == 400
    else:
        raise AssertionError("an unknown schedule was accepted")
