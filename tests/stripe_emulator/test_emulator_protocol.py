"""The emulator speaks Stripe's wire protocol: auth, form encoding, errors, idempotency, lists."""

from __future__ import annotations

import json
import threading
import urllib.request
from typing import Any
from urllib.error import HTTPError

import pytest
import stripe
from emulator_helpers import API_KEY, pay
from hypothesis import given
from hypothesis import strategies as st

from stripe_emulator import EmulatorServer
from stripe_emulator.forms import decode_form


def raw(
    emulator: Any,
    method: str,
    path: str,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], dict[str, Any]]:
    request = urllib.request.Request(
        emulator.url + path,
        data=body.encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {API_KEY}", **(headers or {})},
    )
    if body is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, dict(resp.headers), json.loads(resp.read())
    except HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


# -- form decoding ----------------------------------------------------------------------------
def test_decode_nested_brackets_lists_and_metadata() -> None:
    decoded = decode_form(
        "amount=100&metadata[order]=1&metadata[0]=zero&expand[]=a&expand[]=b"
        "&items[0][price]=p1&items[1][price]=p2&card[number]=4242&types[0]=x"
    )

    assert decoded == {
        "amount": "100",
        "metadata": {"order": "1", "0": "zero"},
        "expand": ["a", "b"],
        "items": [{"price": "p1"}, {"price": "p2"}],
        "card": {"number": "4242"},
        "types": ["x"],
    }


@given(
    st.dictionaries(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8),
        st.text(max_size=20),
        max_size=5,
    )
)
def test_metadata_round_trips_through_the_sdk_encoder(metadata: dict[str, str]) -> None:
    from urllib.parse import urlencode

    from stripe._encode import _api_encode

    encoded = urlencode(list(_api_encode({"metadata": metadata, "expand": ["x", "y"]})))

    decoded = decode_form(encoded)

    assert decoded.get("metadata", {}) == metadata or (not metadata and "metadata" not in decoded)
    assert decoded["expand"] == ["x", "y"]


# -- authentication ------------------------------------------------------------------------
def test_missing_or_live_key_is_401(emulator: Any) -> None:
    status, _, body = raw(emulator, "GET", "/v1/balance", headers={"Authorization": ""})
    live_status, _, _ = raw(
        emulator, "GET", "/v1/balance", headers={"Authorization": "Bearer sk_live_123"}
    )

    assert status == 401 and set(body["error"]) >= {"type", "code", "message", "param"}
    assert live_status == 401
    bad = stripe.StripeClient("pk_test_nope", base_addresses={"api": emulator.url})
    with pytest.raises(stripe.AuthenticationError):
        bad.v1.balance.retrieve()


# -- error shapes ----------------------------------------------------------------------------
def test_missing_param_error_shape(emulator: Any) -> None:
    status, _, body = raw(emulator, "POST", "/v1/payment_intents", "currency=usd")

    assert status == 400
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["code"] == "parameter_missing"
    assert body["error"]["param"] == "amount"
    assert body["error"]["message"] == "Missing required param: amount."


def test_invalid_integer_and_unknown_parameter(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as not_int:
        client.v1.payment_intents.create(params={"amount": "ten", "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.payment_intents.create(
            params={"amount": 100, "currency": "usd", "colour": "red"}  # type: ignore[typeddict-unknown-key]
        )
    with pytest.raises(stripe.InvalidRequestError) as bad_limit:
        client.v1.charges.list(params={"limit": 101})

    assert (not_int.value.code, not_int.value.param) == ("parameter_invalid_integer", "amount")
    assert unknown.value.param == "colour" and "unknown parameter" in unknown.value.user_message
    assert bad_limit.value.param == "limit"


def test_unknown_ids_are_404_resource_missing(client: stripe.StripeClient, emulator: Any) -> None:
    for retrieve in (
        lambda: client.v1.payment_intents.retrieve("pi_missing"),
        lambda: client.v1.charges.retrieve("ch_missing"),
        lambda: client.v1.transfers.retrieve("tr_missing"),
        lambda: client.v1.accounts.retrieve("acct_missing"),
        lambda: client.v1.events.retrieve("evt_missing"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as missing:
            retrieve()
        assert missing.value.http_status == 404
        assert missing.value.code == "resource_missing"
    status, _, body = raw(emulator, "GET", "/v1/widgets")
    assert status == 404 and body["error"]["type"] == "invalid_request_error"


def test_card_error_shape_on_the_wire(emulator: Any) -> None:
    status, _, body = raw(
        emulator,
        "POST",
        "/v1/payment_intents",
        "amount=1000&currency=usd&payment_method=pm_card_chargeDeclined&confirm=true",
    )

    assert status == 402
    error = body["error"]
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error",
        "card_declined",
        "generic_decline",
    )
    assert error["message"] == "Your card was declined."
    assert error["payment_intent"]["status"] == "requires_payment_method"


# -- idempotency -------------------------------------------------------------------------------
def test_idempotent_replay_returns_the_same_object(
    emulator: Any, client: stripe.StripeClient
) -> None:
    body = "amount=2000&currency=usd&payment_method=pm_card_visa&confirm=true"
    key = {"Idempotency-Key": "order-1-payment"}

    first_status, first_headers, first = raw(emulator, "POST", "/v1/payment_intents", body, key)
    second_status, second_headers, second = raw(emulator, "POST", "/v1/payment_intents", body, key)

    assert first_status == second_status == 200
    assert first == second
    assert "Idempotent-Replayed" not in first_headers
    assert second_headers["Idempotent-Replayed"] == "true"
    assert len(client.v1.payment_intents.list().data) == 1


def test_idempotency_key_with_other_params_is_an_idempotency_error(
    client: stripe.StripeClient,
) -> None:
    client.v1.customers.create(params={"email": "a@example.com"}, options={"idempotency_key": "k1"})

    with pytest.raises(stripe.IdempotencyError) as conflict:
        client.v1.customers.create(
            params={"email": "b@example.com"}, options={"idempotency_key": "k1"}
        )

    assert conflict.value.http_status == 400
    assert conflict.value.json_body["error"]["type"] == "idempotency_error"


def test_declines_are_replayed_but_validation_errors_are_not(emulator: Any) -> None:
    declined = "amount=1000&currency=usd&payment_method=pm_card_chargeDeclined&confirm=true"
    key = {"Idempotency-Key": "decline-key"}
    first = raw(emulator, "POST", "/v1/payment_intents", declined, key)
    second = raw(emulator, "POST", "/v1/payment_intents", declined, key)

    invalid_key = {"Idempotency-Key": "invalid-key"}
    bad = raw(emulator, "POST", "/v1/customers", "colour=red", invalid_key)
    fixed = raw(emulator, "POST", "/v1/customers", "colour=red", invalid_key)

    assert first[0] == second[0] == 402 and first[2] == second[2]
    assert second[1]["Idempotent-Replayed"] == "true"
    assert bad[0] == fixed[0] == 400 and "Idempotent-Replayed" not in fixed[1]


def test_concurrent_requests_with_one_key_create_one_object(
    emulator: Any, client: stripe.StripeClient
) -> None:
    body = "amount=3000&currency=usd"
    results: list[dict[str, Any]] = []

    def post() -> None:
        results.append(
            raw(emulator, "POST", "/v1/payment_intents", body, {"Idempotency-Key": "c"})[2]
        )

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({r["id"] for r in results}) == 1
    assert len(client.v1.payment_intents.list().data) == 1


def test_idempotency_keys_are_scoped_per_account(client: stripe.StripeClient, ctl: Any) -> None:
    account = client.v1.accounts.create(params={"type": "express"})

    mine = client.v1.customers.create(
        params={"email": "x@example.com"}, options={"idempotency_key": "same"}
    )
    theirs = client.v1.customers.create(
        params={"email": "x@example.com"},
        options={"idempotency_key": "same", "stripe_account": account.id},
    )

    assert mine.id != theirs.id


# -- lists, pagination, expansion --------------------------------------------------------------
def test_pagination_forward_and_backward(client: stripe.StripeClient) -> None:
    created = [client.v1.customers.create(params={"name": f"c{i}"}).id for i in range(25)]
    newest_first = list(reversed(created))

    page1 = client.v1.customers.list(params={"limit": 10})
    page2 = client.v1.customers.list(params={"limit": 10, "starting_after": page1.data[-1].id})
    page3 = client.v1.customers.list(params={"limit": 10, "starting_after": page2.data[-1].id})
    back = client.v1.customers.list(params={"limit": 10, "ending_before": page3.data[0].id})
    everything = [c.id for c in client.v1.customers.list(params={"limit": 7}).auto_paging_iter()]

    assert page1.object == "list" and page1.url == "/v1/customers"
    assert [c.id for c in page1.data] == newest_first[:10] and page1.has_more
    assert [c.id for c in page2.data] == newest_first[10:20] and page2.has_more
    assert [c.id for c in page3.data] == newest_first[20:] and not page3.has_more
    assert [c.id for c in back.data] == newest_first[10:20] and back.has_more
    assert everything == newest_first


def test_list_expansion_and_nested_expansion(client: stripe.StripeClient) -> None:
    pay(client, 1_000)
    pay(client, 2_000)

    charges = client.v1.charges.list(params={"expand": ["data.balance_transaction"]})
    pis = client.v1.payment_intents.list(
        params={"expand": ["data.latest_charge.balance_transaction"]}
    )

    assert sorted(c.balance_transaction.amount for c in charges.data) == [1_000, 2_000]
    assert all(
        p.latest_charge.balance_transaction.object == "balance_transaction" for p in pis.data
    )


def test_created_filter(client: stripe.StripeClient, ctl: Any) -> None:
    old = client.v1.customers.create(params={"name": "old"})
    ctl("/_emulator/clock/advance", {"seconds": 3600})
    new = client.v1.customers.create(params={"name": "new"})

    recent = client.v1.customers.list(params={"created": {"gte": old.created + 1800}})

    assert [c.id for c in recent.data] == [new.id]


# -- control API and persistence ---------------------------------------------------------------
def test_state_inspection_and_reset(client: stripe.StripeClient, ctl: Any) -> None:
    pi = pay(client, 1_000)

    state = ctl("/_emulator/state")
    ctl("/_emulator/reset", {})

    assert [p["id"] for p in state["objects"]["payment_intent"]] == [pi.id]
    assert ctl("/_emulator/state")["objects"] == {}


def test_state_file_survives_a_restart(tmp_path: Any) -> None:
    path = str(tmp_path / "stripe-state.json")
    first = EmulatorServer(state_file=path).start()
    try:
        c1 = stripe.StripeClient(API_KEY, base_addresses={"api": first.url})
        pi = c1.v1.payment_intents.create(
            params={"amount": 5_000, "currency": "usd", "payment_method": "pm_card_visa",
                    "confirm": True}
        )  # fmt: skip
    finally:
        first.stop()

    second = EmulatorServer(state_file=path).start()
    try:
        c2 = stripe.StripeClient(API_KEY, base_addresses={"api": second.url})
        again = c2.v1.payment_intents.retrieve(pi.id)
        refund = c2.v1.refunds.create(params={"payment_intent": pi.id, "amount": 100})
    finally:
        second.stop()

    assert again.status == "succeeded"
    assert refund.amount == 100


def test_command_line_server_starts_serves_and_saves_state(tmp_path: Any) -> None:
    import os
    import signal
    import subprocess
    import sys

    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    state_file = tmp_path / "state.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "stripe_emulator", "--port", "0", "--state-file", str(state_file),
         "--webhook-secret", "whsec_cli"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": root},
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert "listening on http://127.0.0.1:" in line, line
        url = line.strip().rsplit(" ", 1)[-1]
        cli = stripe.StripeClient(API_KEY, base_addresses={"api": url})
        customer = cli.v1.customers.create(params={"email": "cli@example.com"})
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)

    saved = json.loads(state_file.read_text())
    assert customer.id in saved["objects"]["customer"]
