"""Stripe.js's side of the emulator: the stand-in script, the Payment Element frame, and the
calls a browser makes with a publishable key and a PaymentIntent's client secret."""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlencode, urlsplit

import stripe
from emulator_helpers import http, press

from stripe_emulator import EmulatorServer

PK = "pk_test_emulator"


def browser_call(
    emulator: EmulatorServer, method: str, path: str, params: dict[str, str]
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """A request as Stripe.js sends it: form-encoded, the publishable key as `key`, an Origin."""
    body = urlencode(params)
    url = emulator.url + path + ("?" + body if method == "GET" else "")
    request = urllib.request.Request(
        url,
        data=body.encode() if method == "POST" else None,
        method=method,
        headers={
            "Origin": "http://marketplace.localhost:8000",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read()), dict(resp.headers)
    except HTTPError as exc:
        return exc.code, json.loads(exc.read()), dict(exc.headers)


def intent(client: stripe.StripeClient, **params: Any) -> Any:
    return client.v1.payment_intents.create(
        params={"amount": 2_500, "currency": "eur", "automatic_payment_methods": {"enabled": True},
                **params}
    )  # fmt: skip


def card_pm(emulator: EmulatorServer, number: str = "4242424242424242") -> str:
    status, body, _ = browser_call(emulator, "POST", "/v1/payment_methods", {
        "key": PK, "type": "card", "card[number]": number, "card[exp_month]": "12",
        "card[exp_year]": "34", "card[cvc]": "123"})  # fmt: skip
    assert status == 200, body
    return str(body["id"])


def confirm(
    emulator: EmulatorServer, pi: Any, pm: str, **extra: str
) -> tuple[int, dict[str, Any], dict[str, str]]:
    return browser_call(emulator, "POST", f"/v1/payment_intents/{pi.id}/confirm", {
        "key": PK, "client_secret": pi.client_secret, "payment_method": pm,
        "return_url": "http://marketplace.localhost:8000/checkout/return/7/", **extra})  # fmt: skip


def test_stripe_js_confirms_with_the_publishable_key_and_client_secret(
    emulator: EmulatorServer, client: stripe.StripeClient
) -> None:
    pi = intent(client)

    status, body, headers = confirm(emulator, pi, card_pm(emulator))

    assert status == 200 and body["status"] == "succeeded", body
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"


def test_a_wrong_or_missing_client_secret_is_refused(
    emulator: EmulatorServer, client: stripe.StripeClient
) -> None:
    pi = intent(client)
    other = intent(client)
    pm = card_pm(emulator)

    wrong = browser_call(
        emulator,
        "POST",
        f"/v1/payment_intents/{pi.id}/confirm",
        {"key": PK, "client_secret": other.client_secret, "payment_method": pm},
    )
    missing = browser_call(emulator, "GET", f"/v1/payment_intents/{pi.id}", {"key": PK})

    assert wrong[0] == 400 and wrong[1]["error"]["param"] == "client_secret"
    assert missing[0] == 400 and missing[1]["error"]["code"] == "parameter_missing"
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"


def test_a_publishable_key_can_do_nothing_else(
    emulator: EmulatorServer, client: stripe.StripeClient
) -> None:
    pi = intent(client)

    listed = browser_call(emulator, "GET", "/v1/payment_intents", {"key": PK})
    cancel = browser_call(
        emulator,
        "POST",
        f"/v1/payment_intents/{pi.id}/cancel",
        {"key": PK, "client_secret": pi.client_secret},
    )
    off_session = confirm(emulator, pi, "pm_card_visa", off_session="true")
    live = browser_call(
        emulator,
        "GET",
        f"/v1/payment_intents/{pi.id}",
        {"key": "pk_live_x", "client_secret": pi.client_secret},
    )

    assert listed[0] == 401 and listed[1]["error"]["code"] == "secret_key_required"
    assert cancel[0] == 401
    assert off_session[0] == 400 and off_session[1]["error"]["param"] == "off_session"
    assert live[0] == 401
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"


def test_preflight_answers_cors(emulator: EmulatorServer) -> None:
    request = urllib.request.Request(
        emulator.url + "/v1/payment_intents/pi_x/confirm",
        method="OPTIONS",
        headers={"Origin": "http://marketplace.localhost:8000"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 204
        assert resp.headers["Access-Control-Allow-Origin"] == "*"


def test_decline_returns_stripes_error_and_the_same_intent_takes_another_card(
    emulator: EmulatorServer, client: stripe.StripeClient
) -> None:
    pi = intent(client)

    status, body, _ = confirm(emulator, pi, card_pm(emulator, "4000000000000002"))
    retried = confirm(emulator, pi, card_pm(emulator))

    assert status == 402
    assert (
        body["error"]["type"] == "card_error" and body["error"]["decline_code"] == "generic_decline"
    )
    assert body["error"]["message"] == "Your card was declined."
    assert retried[0] == 200 and retried[1]["status"] == "succeeded"


def test_three_d_secure_goes_to_the_challenge_and_back_to_return_url(
    emulator: EmulatorServer, client: stripe.StripeClient
) -> None:
    pi = intent(client)

    status, body, _ = confirm(emulator, pi, card_pm(emulator, "4000002500003155"))
    challenge = http(body["next_action"]["redirect_to_url"]["url"])
    back = press(challenge, "complete-3ds")

    assert status == 200 and body["status"] == "requires_action"
    assert back.status == 303
    target = urlsplit(back.location)
    query = parse_qs(target.query)
    assert target.path == "/checkout/return/7/"
    assert query["payment_intent"] == [pi.id] and query["redirect_status"] == ["succeeded"]
    assert query["payment_intent_client_secret"] == [pi.client_secret]


def test_saving_a_card_attaches_it_and_the_element_lists_it_next_time(
    emulator: EmulatorServer, client: stripe.StripeClient
) -> None:
    customer = client.v1.customers.create(params={"email": "bea@example.com"})
    first = intent(client, customer=customer.id)
    confirm(
        emulator, first, card_pm(emulator, "5555555555554444"), setup_future_usage="off_session"
    )
    second = intent(client, customer=customer.id)
    session = client.v1.customer_sessions.create(params={
        "customer": customer.id,
        "components": {"payment_element": {"enabled": True, "features": {
            "payment_method_redisplay": "enabled", "payment_method_save": "enabled"}}}})  # fmt: skip

    frame = http(_frame_url(emulator, second, customer_session=session.client_secret))
    bare = http(_frame_url(emulator, second))
    saved = client.v1.customers.payment_methods.list(customer.id).data
    status, paid, _ = confirm(emulator, second, saved[0].id)

    assert [pm.card.last4 for pm in saved] == ["4444"] and saved[0].allow_redisplay == "always"
    assert frame.status == 200 and saved[0].id in frame.body and '"can_save": true' in frame.body
    assert saved[0].id not in bare.body and '"can_save": false' in bare.body
    assert status == 200 and paid["status"] == "succeeded"


def test_another_customers_saved_card_is_refused(
    emulator: EmulatorServer, client: stripe.StripeClient
) -> None:
    owner = client.v1.customers.create(params={"email": "a@example.com"})
    thief = client.v1.customers.create(params={"email": "b@example.com"})
    first = intent(client, customer=owner.id)
    confirm(emulator, first, card_pm(emulator), setup_future_usage="off_session")
    saved = client.v1.customers.payment_methods.list(owner.id).data[0]
    pi = intent(client, customer=thief.id)

    status, body, _ = confirm(emulator, pi, saved.id)

    assert status == 404 and body["error"]["param"] == "payment_method"


def _frame_url(emulator: EmulatorServer, pi: Any, **extra: str) -> str:
    query = {
        "key": PK,
        "client_secret": pi.client_secret,
        "parent": "http://marketplace.localhost:8000",
        **extra,
    }
    return f"{emulator.url}/_emulator/elements/payment?{urlencode(query)}"


def test_the_script_and_the_frame_are_served(
    emulator: EmulatorServer, client: stripe.StripeClient
) -> None:
    pi = intent(client)

    script = http(emulator.url + "/v3/")
    frame = http(_frame_url(emulator, pi))
    no_key = http(_frame_url(emulator, pi, key="sk_test_emulator"))
    bad_parent = http(_frame_url(emulator, pi, parent="javascript:alert(1)"))

    assert script.status == 200 and "application/javascript" in script.headers["Content-Type"]
    assert f'var API = "{emulator.url}"' in script.body and "confirmPayment" in script.body
    assert (
        frame.status == 200 and 'id="card-number"' in frame.body and '"wallet": true' in frame.body
    )
    assert no_key.status == 401 and bad_parent.status == 400


def test_the_wallet_pays_with_a_google_pay_card(
    emulator: EmulatorServer, client: stripe.StripeClient
) -> None:
    pi = intent(client)
    cards_only = client.v1.payment_intents.create(
        params={"amount": 2_500, "currency": "eur", "payment_method_types": ["card"]}
    )

    wallet = http(
        emulator.url + "/_emulator/elements/wallet",
        {"key": PK, "client_secret": pi.client_secret, "wallet": "google_pay"},
    )
    refused = http(
        emulator.url + "/_emulator/elements/wallet",
        {"key": PK, "client_secret": cards_only.client_secret, "wallet": "google_pay"},
    )
    pm = json.loads(wallet.body)
    status, body, _ = confirm(emulator, pi, pm["id"])
    charge = client.v1.charges.retrieve(body["latest_charge"])

    assert pm["card"]["wallet"]["type"] == "google_pay"
    assert refused.status == 400
    assert status == 200 and charge.payment_method_details.card.wallet.type == "google_pay"
