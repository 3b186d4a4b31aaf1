"""The webhook verifier on its own: secrets, the tolerance setting, UTF-8, and every rule of an
event's shape at its limit (each case kills a surviving mutant of payments.gateway's webhook
functions; docs/mutation.md)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from payments import gateway
from payments.errors import WebhookRejected
from tests.payments.events import WEBHOOK_SECRET, make_event, signed_headers

CONNECT_SECRET = "whsec_connect_endpoint_secret"


@pytest.fixture(autouse=True)
def secrets(settings: Any) -> None:
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = ""
    settings.STRIPE_WEBHOOK_TOLERANCE = 300


def _verify(body: str, *, secret: str = WEBHOOK_SECRET, age: int = 0) -> dict[str, Any]:
    signature = signed_headers(body, secret=secret, timestamp=int(time.time()) - age)["HTTP_STRIPE_SIGNATURE"]
    return gateway.webhook_payload_verify(payload=body.encode(), signature=signature)


def _refused(code: str, **kwargs: Any) -> None:
    body = kwargs.pop("body", json.dumps(make_event()))
    with pytest.raises(WebhookRejected) as error:
        _verify(body, **kwargs)
    assert error.value.code == code


def test_secrets_are_the_configured_ones_in_order(settings: Any) -> None:
    assert gateway.webhook_secrets() == [WEBHOOK_SECRET]
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = CONNECT_SECRET
    assert gateway.webhook_secrets() == [WEBHOOK_SECRET, CONNECT_SECRET]
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert gateway.webhook_secrets() == [CONNECT_SECRET]


def test_either_secret_verifies_and_an_unknown_one_does_not(settings: Any) -> None:
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = CONNECT_SECRET
    assert _verify(json.dumps(make_event(event_id="evt_a")))["id"] == "evt_a"
    assert _verify(json.dumps(make_event(event_id="evt_b")), secret=CONNECT_SECRET)["id"] == "evt_b"
    _refused("signature_invalid", secret="whsec_someone_else")


def test_the_tolerance_comes_from_the_settings(settings: Any) -> None:
    assert _verify(json.dumps(make_event()), age=250)["id"] == "evt_test_0001"
    settings.STRIPE_WEBHOOK_TOLERANCE = 200
    _refused("timestamp_stale", age=250)
    # A stale signature by an unknown secret is refused as a bad signature, not as stale.
    _refused("signature_invalid", secret="whsec_someone_else", age=250)


def test_without_a_setting_the_tolerance_is_five_minutes(settings: Any) -> None:
    del settings.STRIPE_WEBHOOK_TOLERANCE
    assert gateway.DEFAULT_WEBHOOK_TOLERANCE == 300
    assert _verify(json.dumps(make_event()), age=290)["id"] == "evt_test_0001"
    _refused("timestamp_stale", age=310)


def test_a_missing_signature_and_a_body_that_is_not_utf8() -> None:
    for signature in (None, ""):
        with pytest.raises(WebhookRejected) as error:
            gateway.webhook_payload_verify(payload=b"{}", signature=signature)
        assert error.value.code == "signature_missing"
    body = b'{"id": "evt_\xff"}'
    signature = signed_headers("x")["HTTP_STRIPE_SIGNATURE"]
    with pytest.raises(WebhookRejected) as error:
        gateway.webhook_payload_verify(payload=body, signature=signature)
    assert error.value.code == "payload_malformed"


def test_no_secret_is_not_configured(settings: Any) -> None:
    settings.STRIPE_WEBHOOK_SECRET = ""
    _refused("webhook_not_configured")


GOOD = make_event(account="acct_1")


@pytest.mark.parametrize(("change", "accepted"), [
    ({}, True),
    ({"account": None}, True),
    ({"id": "evt_" + "x" * 251}, True),   # 255 characters
    ({"id": "evt_" + "x" * 252}, False),  # 256
    ({"id": "ev_1"}, False),
    ({"id": 5}, False),
    ({"type": "t" * 100}, True),
    ({"type": "t"}, True),
    ({"type": "t" * 101}, False),
    ({"type": ""}, False),
    ({"type": None}, False),
    ({"created": "1700000000"}, False),
    ({"data": []}, False),
    ({"data": {"object": []}}, False),
    ({"account": 7}, False),
])
def test_event_shape_at_its_limits(change: dict[str, Any], accepted: bool) -> None:
    event = {**GOOD, **change}
    assert gateway._event_shape_ok(event) is accepted
    if accepted:
        assert _verify(json.dumps(event))["id"] == event["id"]
    else:
        _refused("payload_malformed", body=json.dumps(event))
    assert gateway._event_shape_ok([event]) is False
