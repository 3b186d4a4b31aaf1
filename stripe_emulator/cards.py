"""Stripe's test card numbers, test payment-method ids and tokens, and what each one does."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CardProfile:
    number: str
    brand: str
    # succeed | decline | authenticate | dispute
    behavior: str
    decline_code: str | None = None
    error_code: str | None = None
    message: str | None = None
    funding: str = "credit"
    country: str = "US"
    # Stripe Radar's evaluation (charge.outcome.risk_level / risk_score), docs.stripe.com/radar/testing.
    risk_level: str = "normal"
    risk_score: int = 20
    # Blocked by Radar before it reaches the network (outcome type `blocked`), as the default
    # rule `Block if :risk_level: = 'highest'` does.
    radar_blocked: bool = False

    @property
    def last4(self) -> str:
        return self.number[-4:]


_DECLINED = "Your card was declined."

CARDS: dict[str, CardProfile] = {
    card.number: card
    for card in (
        CardProfile("4242424242424242", "visa", "succeed"),
        CardProfile("4000056655665556", "visa", "succeed", funding="debit"),
        CardProfile("5555555555554444", "mastercard", "succeed"),
        CardProfile("378282246310005", "amex", "succeed"),
        CardProfile("4000000000000077", "visa", "succeed"),
        CardProfile(
            "4000000000000002", "visa", "decline", "generic_decline", "card_declined", _DECLINED
        ),
        CardProfile(
            "4000000000009995",
            "visa",
            "decline",
            "insufficient_funds",
            "card_declined",
            "Your card has insufficient funds.",
        ),
        CardProfile("4000000000009987", "visa", "decline", "lost_card", "card_declined", _DECLINED),
        CardProfile(
            "4000000000000069",
            "visa",
            "decline",
            "expired_card",
            "expired_card",
            "Your card has expired.",
        ),
        CardProfile(
            "4000000000000127",
            "visa",
            "decline",
            "incorrect_cvc",
            "incorrect_cvc",
            "Your card's security code is incorrect.",
        ),
        CardProfile("4000002500003155", "visa", "authenticate"),
        CardProfile("4000002760003184", "visa", "authenticate"),
        CardProfile("4000000000003220", "visa", "authenticate"),
        CardProfile("4000000000000259", "visa", "dispute"),
        # Radar's test cards: elevated risk succeeds (a review is the merchant's call); highest
        # risk is blocked by the default block rule (4954) or always (4100...0019).
        CardProfile("4000000000009235", "visa", "succeed", risk_level="elevated", risk_score=65),
        CardProfile(
            "4000000000004954", "visa", "decline", "fraudulent", "card_declined", _DECLINED,
            risk_level="highest", risk_score=85, radar_blocked=True,
        ),
        CardProfile(
            "4100000000000019", "visa", "decline", "fraudulent", "card_declined", _DECLINED,
            risk_level="highest", risk_score=95, radar_blocked=True,
        ),
    )
}

# Suffixes of `pm_card_<x>` and `tok_<x>`.
MAGIC_NAMES: dict[str, str] = {
    "visa": "4242424242424242",
    "visa_debit": "4000056655665556",
    "mastercard": "5555555555554444",
    "amex": "378282246310005",
    "bypassPending": "4000000000000077",
    "chargeDeclined": "4000000000000002",
    "chargeDeclinedInsufficientFunds": "4000000000009995",
    "chargeDeclinedLostCard": "4000000000009987",
    "chargeDeclinedExpiredCard": "4000000000000069",
    "chargeDeclinedIncorrectCvc": "4000000000000127",
    "authenticationRequired": "4000002500003155",
    "threeDSecure2Required": "4000000000003220",
    "authenticationRequiredOnSetup": "4000002500003155",
    "createDispute": "4000000000000259",
    "createDisputeProductNotReceived": "4000000000000259",
    "riskLevelElevated": "4000000000009235",
    "riskLevelHighest": "4000000000004954",
    "chargeDeclinedFraudulent": "4100000000000019",
}


def card_for_magic_id(value: str) -> CardProfile | None:
    """`pm_card_visa` / `tok_visa` -> the test card, or None if it is not a magic id."""
    for prefix in ("pm_card_", "tok_"):
        if value.startswith(prefix):
            number = MAGIC_NAMES.get(value[len(prefix) :])
            return CARDS.get(number) if number else None
    return None


def card_for_number(number: str) -> CardProfile | None:
    digits = "".join(ch for ch in number if ch.isdigit())
    if digits in CARDS:
        return CARDS[digits]
    if _luhn_ok(digits) and 13 <= len(digits) <= 19:
        # Any other valid number behaves like a plain successful card, as in test mode.
        brand = {"4": "visa", "5": "mastercard", "3": "amex"}.get(digits[:1], "unknown")
        return CardProfile(digits, brand, "succeed")
    return None


def _luhn_ok(digits: str) -> bool:
    if not digits:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0
