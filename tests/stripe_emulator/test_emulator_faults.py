"""The emulator's fault rules (`/_emulator/faults`): status answers, timeouts, resets and slowness,
for a share of the requests or a path, before or after the request changes state."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.error import HTTPError

import pytest
import stripe
from emulator_helpers import API_KEY

from stripe_emulator import EmulatorServer
from tests.support.waiting import wait_until


def _send(emulator: EmulatorServer, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """A control call with any method; returns (status, JSON body) for errors too."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(emulator.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _client(emulator: EmulatorServer, *, timeout: float = 10.0, retries: int = 0) -> stripe.StripeClient:
    return stripe.StripeClient(
        API_KEY, base_addresses={"api": emulator.url},
        max_network_retries=retries, http_client=stripe.new_default_http_client(timeout=timeout),
    )


def _customers(ctl: Callable[..., Any]) -> list[dict[str, Any]]:
    return ctl("/_emulator/state")["objects"].get("customer", [])


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_rule_answers_stripes_api_error_and_changes_nothing(
    emulator: EmulatorServer, client: stripe.StripeClient, ctl: Callable[..., Any], status: int
) -> None:
    ctl("/_emulator/faults", {"status": status, "path": "^/v1/customers$", "method": "POST", "limit": 1})
    with pytest.raises(stripe.APIError) as failed:
        client.v1.customers.create(params={"email": "a@example.com"})
    again = client.v1.customers.create(params={"email": "a@example.com"})
    assert failed.value.http_status == status
    assert failed.value.json_body["error"]["type"] == "api_error"
    assert failed.value.request_id and failed.value.request_id.startswith("req_")
    assert [c["id"] for c in _customers(ctl)] == [again.id]  # the failed call made nothing


@pytest.mark.parametrize("status", [429, 502])
def test_an_html_body_is_a_proxys_page_the_sdk_cannot_read(
    client: stripe.StripeClient, ctl: Callable[..., Any], status: int
) -> None:
    ctl("/_emulator/faults", {"status": status, "body": "html", "limit": 1})
    with pytest.raises(stripe.APIError) as failed:
        client.v1.balance.retrieve()
    assert failed.value.http_status == status and "Invalid response body" in str(failed.value)
    assert client.v1.balance.retrieve()["object"] == "balance"


def test_a_429_rule_is_stripes_rate_limit_error(client: stripe.StripeClient, ctl: Callable[..., Any]) -> None:
    ctl("/_emulator/faults", {"status": 429, "limit": 1})
    with pytest.raises(stripe.RateLimitError) as limited:
        client.v1.balance.retrieve()
    assert limited.value.http_status == 429
    assert limited.value.json_body["error"]["code"] == "rate_limit"
    assert limited.value.json_body["error"]["type"] == "invalid_request_error"
    assert client.v1.balance.retrieve()["object"] == "balance"


def test_a_status_after_the_request_ran_is_a_lost_answer_the_same_key_replays(
    client: stripe.StripeClient, ctl: Callable[..., Any]
) -> None:
    ctl("/_emulator/faults", {"status": 502, "when": "after", "path": "/v1/customers", "limit": 1})
    with pytest.raises(stripe.APIError):
        client.v1.customers.create(params={"email": "b@example.com"}, options={"idempotency_key": "cus-b"})
    made = _customers(ctl)
    again = client.v1.customers.create(params={"email": "b@example.com"}, options={"idempotency_key": "cus-b"})
    assert [c["id"] for c in made] == [again.id]
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert len(_customers(ctl)) == 1


@pytest.mark.parametrize(("when", "made"), [("before", 0), ("after", 1)])
def test_a_reset_drops_the_connection_before_or_after_the_request_ran(
    client: stripe.StripeClient, ctl: Callable[..., Any], when: str, made: int
) -> None:
    ctl("/_emulator/faults", {"kind": "reset", "when": when, "method": "POST", "limit": 1})
    with pytest.raises(stripe.APIConnectionError) as dropped:
        client.v1.customers.create(params={"email": "c@example.com"}, options={"idempotency_key": "cus-c"})
    assert dropped.value.should_retry
    assert len(_customers(ctl)) == made
    retried = client.v1.customers.create(params={"email": "c@example.com"}, options={"idempotency_key": "cus-c"})
    assert [c["id"] for c in _customers(ctl)] == [retried.id]


@pytest.mark.parametrize(("when", "made"), [("before", 0), ("after", 1)])
def test_a_timeout_holds_past_the_clients_timeout(
    emulator: EmulatorServer, ctl: Callable[..., Any], when: str, made: int
) -> None:
    ctl("/_emulator/faults", {"kind": "timeout", "delay_ms": 3000, "when": when, "limit": 1})
    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        _client(emulator, timeout=0.3).v1.customers.create(params={"email": "d@example.com"})
    waited = time.monotonic() - started
    assert 0.3 <= waited < 2.5
    assert len(_customers(ctl)) == made


def test_clearing_the_rules_lets_a_held_request_go(emulator: EmulatorServer, ctl: Callable[..., Any]) -> None:
    ctl("/_emulator/faults", {"kind": "slow", "delay_ms": 60_000, "limit": 1})
    outcome: list[Any] = []
    thread = threading.Thread(target=lambda: outcome.append(_client(emulator).v1.balance.retrieve()))
    started = time.monotonic()
    thread.start()
    wait_until(lambda: ctl("/_emulator/faults")["data"][0]["fired"] > 0, timeout=5, interval=0.02,
               message="the slow rule did not fire")
    assert _send(emulator, "DELETE", "/_emulator/faults") == (200, {"deleted": 1})
    thread.join(10)
    assert outcome and outcome[0]["object"] == "balance"
    assert time.monotonic() - started < 10


def test_a_slow_rule_answers_normally_after_its_delay(emulator: EmulatorServer, ctl: Callable[..., Any]) -> None:
    ctl("/_emulator/faults", {"kind": "slow", "delay_ms": 400})
    started = time.monotonic()
    customer = _client(emulator).v1.customers.create(params={"email": "e@example.com"})
    assert time.monotonic() - started >= 0.4
    assert [c["id"] for c in _customers(ctl)] == [customer.id]


@pytest.mark.parametrize(("share", "seed", "pattern"), [
    (0.5, 0, "x.x.x."), (0.5, 1, ".x.x.x"), (1 / 3, 0, "x..x.."), (1, 0, "xxxxxx"), (0, 0, "......"),
])
def test_the_share_is_deterministic_by_a_seeded_counter(
    client: stripe.StripeClient, ctl: Callable[..., Any], share: float, seed: int, pattern: str
) -> None:
    ctl("/_emulator/faults", {"status": 503, "share": share, "seed": seed, "path": "^/v1/balance$"})
    seen = ""
    for _ in range(6):
        try:
            client.v1.balance.retrieve()
            seen += "."
        except stripe.APIError:
            seen += "x"
    assert seen == pattern
    rule = ctl("/_emulator/faults")["data"][0]
    assert (rule["seen"], rule["fired"]) == (6, pattern.count("x"))


def test_path_and_method_choose_the_requests_and_the_limit_spends_the_rule(
    client: stripe.StripeClient, ctl: Callable[..., Any]
) -> None:
    ctl("/_emulator/faults", {"status": 500, "path": r"^/v1/customers/?$", "method": "POST", "limit": 2})
    client.v1.balance.retrieve()
    client.v1.customers.list()
    outcomes = []
    for _ in range(3):
        try:
            client.v1.customers.create(params={"email": "f@example.com"}, options={"idempotency_key": "cus-f"})
            outcomes.append("ok")
        except stripe.APIError:
            outcomes.append("500")
    rule = ctl("/_emulator/faults")["data"][0]
    assert outcomes == ["500", "500", "ok"]
    assert (rule["seen"], rule["fired"], rule["spent"]) == (3, 2, True)
    assert [(e["method"], e["idempotency_key"], e["fired"]) for e in rule["log"]] == [
        ("POST", "cus-f", True), ("POST", "cus-f", True), ("POST", "cus-f", False)]


def test_the_sdks_own_retries_send_one_key_and_get_through(emulator: EmulatorServer, ctl: Callable[..., Any]) -> None:
    ctl("/_emulator/faults", {"status": 503, "path": "/v1/customers", "limit": 2})
    customer = _client(emulator, retries=2).v1.customers.create(params={"email": "g@example.com"})
    log = ctl("/_emulator/faults")["data"][0]["log"]
    assert [entry["fired"] for entry in log] == [True, True, False]
    assert len({entry["idempotency_key"] for entry in log}) == 1 and log[0]["idempotency_key"]
    assert [c["id"] for c in _customers(ctl)] == [customer.id]


def test_only_api_calls_meet_the_rules_never_the_control_api(client: stripe.StripeClient, ctl: Callable[..., Any]) -> None:
    ctl("/_emulator/faults", {"status": 500})
    assert ctl("/_emulator/health") == {"ok": True}
    assert "objects" in ctl("/_emulator/state")
    with pytest.raises(stripe.APIError):
        client.v1.balance.retrieve()
    assert ctl("/_emulator/faults")["data"][0]["seen"] == 1


@pytest.mark.parametrize(("body", "param"), [
    ({"status": 404}, "status"),
    ({"kind": "explode"}, "kind"),
    ({"kind": "reset", "status": 500}, "status"),
    ({"status": 503, "share": 2}, "share"),
    ({"status": 503, "share": "half"}, "share"),
    ({"status": 429, "when": "after"}, "when"),
    ({"status": 503, "when": "during"}, "when"),
    ({"status": 503, "path": "(unclosed"}, "path"),
    ({"status": 503, "method": "PATCH"}, "method"),
    ({"status": 503, "limit": 0}, "limit"),
    ({"kind": "timeout", "delay_ms": -1}, "delay_ms"),
    ({"kind": "slow", "delay_ms": "soon"}, "delay_ms"),
    ({"status": 502, "body": "xml"}, "body"),
    ({"kind": "reset", "body": "html"}, "body"),
])
def test_a_bad_rule_is_a_400_naming_the_parameter(emulator: EmulatorServer, body: dict[str, Any], param: str) -> None:
    status, answer = _send(emulator, "POST", "/_emulator/faults", body)
    assert status == 400
    assert answer["error"]["type"] == "invalid_request_error" and answer["error"]["param"] == param
    assert _send(emulator, "GET", "/_emulator/faults") == (200, {"object": "list", "data": []})


def test_rules_are_listed_removed_one_by_one_cleared_and_reset(emulator: EmulatorServer, ctl: Callable[..., Any]) -> None:
    first = ctl("/_emulator/faults", {"status": 503, "path": "^/v1/transfers"})
    second = ctl("/_emulator/faults", {"kind": "timeout", "delay_ms": 1500, "share": 0.25})
    listed = ctl("/_emulator/faults")["data"]
    assert [r["id"] for r in listed] == [first["id"], second["id"]]
    assert (listed[1]["kind"], listed[1]["delay_ms"], listed[1]["share"], listed[1]["when"]) == (
        "timeout", 1500, 0.25, "before")
    assert _send(emulator, "DELETE", f"/_emulator/faults/{first['id']}")[0] == 200
    assert _send(emulator, "DELETE", f"/_emulator/faults/{first['id']}")[0] == 404
    assert [r["id"] for r in ctl("/_emulator/faults")["data"]] == [second["id"]]
    ctl("/_emulator/reset", {})
    assert ctl("/_emulator/faults")["data"] == []
