"""Payments through the emulator: each test card, 3-D Secure, capture/cancel, the payment page."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import stripe
from emulator_helpers import available, http, parse, pay, press


def test_visa_payment_succeeds_with_fee_booked(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        params={
            "amount": 10_000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "transfer_group": "order_42",
            "metadata": {"order": "42"},
            "expand": ["latest_charge.balance_transaction"],
        }
    )

    charge = pi.latest_charge
    txn = charge.balance_transaction
    assert pi.status == "succeeded" and pi.amount_received == 10_000
    assert charge.id.startswith("ch_") and charge.paid and charge.captured
    assert charge.transfer_group == "order_42" and charge.metadata["order"] == "42"
    assert charge.payment_method_details.card.last4 == "4242"
    assert (txn.type, txn.amount, txn.fee, txn.net) == ("charge", 10_000, 320, 9_680)
    assert txn.fee_details[0].type == "stripe_fee"
    assert available(client.v1.balance.retrieve()) == 9_680


@pytest.mark.parametrize(
    ("amount", "fee"), [(50, 31), (1_000, 59), (1_017, 59), (1_018, 60), (99_999, 2_930)]
)
def test_stripe_fee_is_2_9_percent_plus_30_rounded(
    client: stripe.StripeClient, amount: int, fee: int
) -> None:
    pi = client.v1.payment_intents.create(
        params={"amount": amount, "currency": "usd", "payment_method": "pm_card_visa",
                "confirm": True, "expand": ["latest_charge.balance_transaction"]}
    )  # fmt: skip

    assert pi.latest_charge.balance_transaction.fee == fee


@pytest.mark.parametrize(
    ("card", "decline_code", "code"),
    [
        ("pm_card_chargeDeclined", "generic_decline", "card_declined"),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds", "card_declined"),
    ],
)
def test_declined_cards_raise_card_errors_and_leave_the_intent_retryable(
    client: stripe.StripeClient, card: str, decline_code: str, code: str
) -> None:
    with pytest.raises(stripe.CardError) as declined:
        pay(client, 5_000, card)

    error = declined.value
    assert error.http_status == 402
    assert error.code == code
    assert error.error.decline_code == decline_code
    pi = client.v1.payment_intents.retrieve(error.error.payment_intent.id)
    assert pi.status == "requires_payment_method"
    assert pi.last_payment_error.decline_code == decline_code
    failed = client.v1.charges.retrieve(pi.latest_charge)
    assert failed.status == "failed" and failed.failure_code == code
    # The buyer retries with a good card on the same intent.
    retried = client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert retried.status == "succeeded"


def test_raw_test_card_numbers_map_to_the_same_behaviour(client: stripe.StripeClient) -> None:
    good = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4242424242424242", "exp_month": 12,
                "exp_year": 2034, "cvc": "123"}}
    )  # fmt: skip
    bad = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4000000000009995", "exp_month": 12,
                "exp_year": 2034, "cvc": "123"}}
    )  # fmt: skip

    assert pay(client, 2_000, good.id).status == "succeeded"
    with pytest.raises(stripe.CardError) as declined:
        pay(client, 2_000, bad.id)
    assert declined.value.error.decline_code == "insufficient_funds"


def test_three_d_secure_card_requires_action_then_completes_on_the_challenge_page(
    client: stripe.StripeClient,
) -> None:
    pi = pay(
        client, 7_500, "pm_card_authenticationRequired", return_url="https://shop.example/back"
    )
    assert pi.status == "requires_action"
    assert pi.next_action.type == "redirect_to_url"

    challenge = http(pi.next_action.redirect_to_url.url)
    assert challenge.status == 200 and "complete-3ds" in parse(challenge).ids
    back = press(challenge, "complete-3ds")

    assert back.status == 303
    target = urlsplit(back.location)
    query = parse_qs(target.query)
    assert target.netloc == "shop.example"
    assert query["payment_intent"] == [pi.id]
    assert query["payment_intent_client_secret"] == [pi.client_secret]
    assert query["redirect_status"] == ["succeeded"]
    assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"


def test_three_d_secure_failure_returns_to_requires_payment_method(
    client: stripe.StripeClient,
) -> None:
    pi = pay(client, 7_500, "pm_card_threeDSecure2Required", return_url="https://shop.example/b")

    back = press(http(pi.next_action.redirect_to_url.url), "fail-3ds")

    assert parse_qs(urlsplit(back.location).query)["redirect_status"] == ["failed"]
    after = client.v1.payment_intents.retrieve(pi.id)
    assert after.status == "requires_payment_method"
    assert after.last_payment_error.code == "payment_intent_authentication_failure"


def test_dispute_card_succeeds_then_opens_a_dispute(client: stripe.StripeClient) -> None:
    pi = pay(client, 10_000, "pm_card_createDispute")

    disputes = client.v1.disputes.list(params={"payment_intent": pi.id})
    assert pi.status == "succeeded"
    assert len(disputes.data) == 1
    dispute = disputes.data[0]
    assert dispute.status == "needs_response"
    assert dispute.amount == 10_000 and dispute.charge == pi.latest_charge.id
    assert dispute.evidence_details.due_by > dispute.created
    assert client.v1.charges.retrieve(pi.latest_charge.id).disputed is True


def test_manual_capture_partial_then_refund_limits(client: stripe.StripeClient) -> None:
    pi = pay(client, 10_000, capture_method="manual")
    assert pi.status == "requires_capture" and pi.amount_capturable == 10_000
    assert pi.latest_charge.captured is False
    assert available(client.v1.balance.retrieve()) == 0

    captured = client.v1.payment_intents.capture(
        pi.id, params={"amount_to_capture": 8_000, "expand": ["latest_charge"]}
    )

    assert captured.status == "succeeded" and captured.amount_received == 8_000
    assert captured.latest_charge.amount_captured == 8_000
    assert available(client.v1.balance.retrieve()) == 8_000 - (8_000 * 29 + 500) // 1000 - 30
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 8_001})
    assert too_much.value.code == "amount_too_large"


def test_capture_more_than_authorized_is_refused(client: stripe.StripeClient) -> None:
    pi = pay(client, 10_000, capture_method="manual")

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.capture(pi.id, params={"amount_to_capture": 10_001})

    assert refused.value.param == "amount_to_capture"


def test_cancel_releases_an_uncaptured_payment(client: stripe.StripeClient) -> None:
    pi = pay(client, 10_000, capture_method="manual")

    canceled = client.v1.payment_intents.cancel(
        pi.id, params={"cancellation_reason": "requested_by_customer"}
    )

    assert canceled.status == "canceled"
    assert canceled.cancellation_reason == "requested_by_customer"
    charge = client.v1.charges.retrieve(pi.latest_charge.id)
    assert charge.refunded is True and charge.amount_refunded == 10_000
    assert available(client.v1.balance.retrieve()) == 0
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.payment_intents.capture(pi.id)
    assert again.value.code == "payment_intent_unexpected_state"


def test_cannot_cancel_a_succeeded_payment(client: stripe.StripeClient) -> None:
    pi = pay(client)

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.cancel(pi.id)

    assert refused.value.code == "payment_intent_unexpected_state"


def test_create_confirm_update_retrieve_list(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "buyer@example.com"})
    pi = client.v1.payment_intents.create(
        params={"amount": 1_500, "currency": "eur", "customer": customer.id}
    )
    assert pi.status == "requires_payment_method" and pi.client_secret.startswith(pi.id)

    updated = client.v1.payment_intents.update(
        pi.id, params={"amount": 2_500, "metadata": {"cart": "9"}}
    )
    confirmed = client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    listed = client.v1.payment_intents.list(params={"customer": customer.id})

    assert updated.amount == 2_500
    assert confirmed.status == "succeeded" and confirmed.amount_received == 2_500
    assert [p.id for p in listed.data] == [pi.id]
    assert client.v1.charges.list(params={"payment_intent": pi.id}).data[0].currency == "eur"


# -- the hosted payment page (the Payment Element stand-in) --------------------------------
def _payment_page(client: stripe.StripeClient, emulator: Any, **params: Any) -> tuple[Any, Any]:
    pi = client.v1.payment_intents.create(
        params={"amount": 4_200, "currency": "usd", "description": "Order 7", **params}
    )
    url = (
        f"{emulator.url}/_emulator/pay/{pi.id}?client_secret={pi.client_secret}"
        "&return_url=https%3A%2F%2Fshop.example%2Fcheckout%2Fdone%3Forder%3D7"
    )
    return pi, http(url)


def test_payment_page_has_labelled_inputs_for_browser_tests(
    client: stripe.StripeClient, emulator: Any
) -> None:
    _, page = _payment_page(client, emulator)
    forms = parse(page)

    assert page.status == 200
    for input_id in ("card-number", "card-expiry", "card-cvc"):
        assert input_id in forms.ids and input_id in forms.labels
    assert "pay-button" in forms.ids


def test_payment_page_pays_and_redirects_with_stripe_query(
    client: stripe.StripeClient, emulator: Any
) -> None:
    pi, page = _payment_page(client, emulator)

    done = press(page, "pay-button", card_number="4242 4242 4242 4242", card_expiry="12 / 34",
                 card_cvc="123")  # fmt: skip

    assert done.status == 303
    target = urlsplit(done.location)
    query = parse_qs(target.query)
    assert target.path == "/checkout/done" and query["order"] == ["7"]
    assert query["payment_intent"] == [pi.id]
    assert query["redirect_status"] == ["succeeded"]
    assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"


def test_payment_page_shows_decline_message_and_allows_retry(
    client: stripe.StripeClient, emulator: Any
) -> None:
    pi, page = _payment_page(client, emulator)

    declined = press(page, "pay-button", card_number="4000000000009995", card_expiry="12/34",
                     card_cvc="123")  # fmt: skip
    retried = press(declined, "pay-button", card_number="4242424242424242",
                    card_expiry="12/34", card_cvc="123")  # fmt: skip

    assert declined.status == 200
    assert "Your card has insufficient funds." in declined.body
    assert retried.status == 303
    assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"


def test_payment_page_sends_3ds_cards_to_the_challenge(
    client: stripe.StripeClient, emulator: Any
) -> None:
    pi, page = _payment_page(client, emulator)

    challenge_redirect = press(page, "pay-button", card_number="4000002500003155",
                               card_expiry="12/34", card_cvc="123")  # fmt: skip
    challenge = http(challenge_redirect.location)
    back = press(challenge, "complete-3ds")

    assert "/_emulator/3ds/" in challenge_redirect.location
    assert urlsplit(back.location).netloc == "shop.example"
    assert parse_qs(urlsplit(back.location).query)["redirect_status"] == ["succeeded"]
    assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"


def test_payment_page_rejects_wrong_client_secret(
    client: stripe.StripeClient, emulator: Any
) -> None:
    pi = client.v1.payment_intents.create(params={"amount": 4_200, "currency": "usd"})

    page = http(f"{emulator.url}/_emulator/pay/{pi.id}?client_secret=nope")

    assert page.status == 404
