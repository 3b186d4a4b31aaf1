"""Stripe Radar's test cards: each charge carries Radar's outcome; highest risk is blocked."""

from __future__ import annotations

import pytest
import stripe
from emulator_helpers import pay


def _charge(client: stripe.StripeClient, charge: str | stripe.Charge) -> stripe.Charge:
    return client.v1.charges.retrieve(charge if isinstance(charge, str) else charge.id)


def test_a_normal_card_is_authorized_with_normal_risk(client: stripe.StripeClient) -> None:
    pi = pay(client, 2_000, "pm_card_visa")
    outcome = _charge(client, pi.latest_charge).outcome
    assert (outcome.type, outcome.risk_level, outcome.network_status) == (
        "authorized", "normal", "approved_by_network")
    assert 0 <= outcome.risk_score < 65 and outcome.reason is None


@pytest.mark.parametrize("method", ["pm_card_riskLevelElevated", "4000000000009235"])
def test_the_elevated_risk_card_succeeds_with_elevated_risk(client: stripe.StripeClient, method: str) -> None:
    if method.isdigit():
        method = client.v1.payment_methods.create(params={
            "type": "card", "card": {"number": method, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}).id
    pi = pay(client, 2_000, method)
    assert pi.status == "succeeded"
    outcome = _charge(client, pi.latest_charge).outcome
    assert (outcome.type, outcome.risk_level, outcome.network_status) == (
        "authorized", "elevated", "approved_by_network")
    assert 65 <= outcome.risk_score < 75
    assert outcome.seller_message == "Payment complete."


@pytest.mark.parametrize("method", ["pm_card_riskLevelHighest", "pm_card_chargeDeclinedFraudulent"])
def test_highest_risk_cards_are_blocked_by_radar(client: stripe.StripeClient, method: str) -> None:
    with pytest.raises(stripe.CardError) as declined:
        pay(client, 2_000, method)

    error = declined.value
    assert error.http_status == 402 and error.code == "card_declined"
    assert error.error.decline_code == "fraudulent"
    pi = client.v1.payment_intents.retrieve(error.error.payment_intent.id)
    assert pi.status == "requires_payment_method"
    charge = _charge(client, pi.latest_charge)
    assert charge.status == "failed" and charge.failure_code == "card_declined" and not charge.paid
    outcome = charge.outcome
    assert (outcome.type, outcome.reason, outcome.risk_level, outcome.network_status) == (
        "blocked", "highest_risk_level", "highest", "not_sent_to_network")
    assert outcome.risk_score >= 75
    assert outcome.seller_message == "Stripe blocked this payment as too risky."


def test_the_always_blocked_card_number_is_blocked(client: stripe.StripeClient) -> None:
    pm = client.v1.payment_methods.create(params={
        "type": "card", "card": {"number": "4100000000000019", "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    with pytest.raises(stripe.CardError) as declined:
        pay(client, 2_000, pm.id)
    charge = _charge(client, declined.value.error.charge)
    assert charge.outcome.type == "blocked" and charge.outcome.risk_level == "highest"


def test_each_card_number_has_its_own_fingerprint(client: stripe.StripeClient) -> None:
    first = _charge(client, pay(client, 2_000, "pm_card_visa").latest_charge)
    again = _charge(client, pay(client, 2_000, "pm_card_visa").latest_charge)
    other = _charge(client, pay(client, 2_000, "pm_card_mastercard").latest_charge)
    fingerprint = first.payment_method_details.card.fingerprint
    assert again.payment_method_details.card.fingerprint == fingerprint
    assert other.payment_method_details.card.fingerprint != fingerprint
