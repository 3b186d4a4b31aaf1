"""The webhook signature's timestamp window, at its edges: five minutes either way, on a frozen clock."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from payments.models import WebhookEvent
from tests.payments.events import make_event

pytestmark = pytest.mark.django_db

# Frozen, so "299 s old" is 299 s old when the view checks it, not 299 s plus however long the
# request took (real time would make the 300 s edge flaky).
NOW = dt.datetime(2026, 3, 14, 12, 0, 0, tzinfo=dt.UTC)
NOW_TS = int(NOW.timestamp())


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize(("offset", "label"), [(-299, "299 s old"), (-300, "exactly 300 s old"),
                                              (+60, "a minute ahead (clock skew)"), (+299, "299 s ahead")])
def test_a_signature_inside_the_window_is_accepted(offset, label, frozen, post_event: Any) -> None:
    response = post_event(make_event(event_id=f"evt_window_{offset + 1000}"), timestamp=NOW_TS + offset)
    assert response.status_code == 200, (label, response.content)
    assert WebhookEvent.objects.filter(stripe_id=f"evt_window_{offset + 1000}").exists()


@pytest.mark.parametrize(("offset", "label"), [(-301, "301 s old"), (-3_499, "almost an hour old"),
                                              (+301, "301 s in the future"), (+86_400, "a day in the future")])
def test_a_signature_outside_the_window_is_refused(offset, label, frozen, post_event: Any, caplog: Any) -> None:
    with caplog.at_level(logging.WARNING, logger="payments.views"):
        response = post_event(make_event(event_id="evt_outside"), timestamp=NOW_TS + offset)
    assert response.status_code == 400, label
    assert response.json()["error"]["code"] == "timestamp_stale"
    assert "timestamp_stale" in caplog.text
    assert not WebhookEvent.objects.exists()
