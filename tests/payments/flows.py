"""A full money flow driven through the gateway against the emulator (shared by tests and bench)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from payments import gateway
from payments.errors import CardDeclined


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def submit_form(url: str, fields: dict[str, str]) -> int:
    """POST a hosted emulator page like a browser would; redirects are not followed."""
    opener = urllib.request.build_opener(_NoRedirect)
    data = urllib.parse.urlencode(fields).encode()
    try:
        with opener.open(urllib.request.Request(url, data=data, method="POST"), timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def onboard(*, vendor_id: int, link_vendor: Callable[[str], None]) -> str:
    """Create the vendor's Express account and complete onboarding through the account link."""
    account = gateway.account_create(vendor_id=vendor_id, country="DE",
                                     email=f"vendor{vendor_id}@example.com", business_name="Alpha")
    link_vendor(account.id)
    url = gateway.account_link_create(account_id=account.id, refresh_url="http://localhost/r",
                                      return_url="http://localhost/done")
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["link"][0]
    assert submit_form(url, {"link": token, "action": "complete"}) == 303
    return account.id


def pay(order_id: int, amount: int, card: str) -> tuple[gateway.PaymentIntent, str | None]:
    """A PaymentIntent confirmed with a test card; returns (final intent, decline code or None)."""
    intent = gateway.payment_intent_create(order_id=order_id, amount=amount, currency="EUR",
                                           transfer_group=f"order_{order_id}", metadata={})
    decline = None
    try:
        intent = gateway.payment_intent_confirm(payment_intent_id=intent.id, payment_method=card,
                                                return_url="http://localhost/checkout/return")
    except CardDeclined as exc:
        decline = exc.decline_code
    if intent.status == "requires_action" and intent.next_action_url:
        submit_form(intent.next_action_url, {"action": "complete", "client_secret": intent.client_secret or ""})
    return gateway.payment_intent_retrieve(payment_intent_id=intent.id), decline


def dispute_of(charge_id: str) -> str:
    for event in gateway.events_list(created_gte=None, created_lt=None, event_type="charge.dispute.created"):
        if event["data"]["object"]["charge"] == charge_id:
            return str(event["data"]["object"]["id"])
    raise AssertionError(f"no dispute for {charge_id}")


def full_flow(*, vendor_id: int, link_vendor: Callable[[str], None], order_base: int = 1000) -> dict[str, Any]:
    """Onboarding, a payment per test card, refund, transfer + reversal, payout, disputes won/lost."""
    account_id = onboard(vendor_id=vendor_id, link_vendor=link_vendor)
    cards = {
        "visa": "pm_card_visa",
        "mastercard": "pm_card_mastercard",
        "declined": "pm_card_chargeDeclined",
        "insufficient_funds": "pm_card_chargeDeclinedInsufficientFunds",
        "three_d_secure": "pm_card_authenticationRequired",
        "dispute_won": "pm_card_createDispute",
        "dispute_lost": "pm_card_createDispute",
    }
    intents: dict[str, gateway.PaymentIntent] = {}
    declines: dict[str, str | None] = {}
    for offset, (name, card) in enumerate(cards.items()):
        intents[name], declines[name] = pay(order_base + offset, 10_000 + offset, card)
    visa = intents["visa"]
    refund = gateway.refund_create(key=f"claim:{order_base}", payment_intent_id=visa.id, amount=2500, metadata={})
    transfer = gateway.transfer_create(
        key=f"order:{order_base + 1}:vendor:{vendor_id}", amount=8000, currency="EUR",
        destination=account_id, source_transaction=intents["mastercard"].latest_charge,
        transfer_group=f"order_{order_base + 1}", metadata={},
    )
    reversal = gateway.transfer_reverse(key=f"claim:{order_base + 1}", transfer_id=transfer.id, amount=1000, metadata={})
    payout = gateway.payout_create(key=f"payout:{vendor_id}:{order_base}", account_id=account_id,
                                   amount=5000, currency="EUR", metadata={})
    won = dispute_of(intents["dispute_won"].latest_charge or "")
    gateway.dispute_update(dispute_id=won, evidence={"uncategorized_text": "winning_evidence"}, submit=True)
    lost = dispute_of(intents["dispute_lost"].latest_charge or "")
    gateway.dispute_close(dispute_id=lost)
    return {
        "account_id": account_id, "intents": intents, "declines": declines, "refund": refund,
        "transfer": transfer, "reversal": reversal, "payout": payout, "disputes": {"won": won, "lost": lost},
    }


def gateway_events(account_id: str | None) -> list[dict[str, Any]]:
    """Every event at the gateway (platform, plus the connected account), oldest first."""
    # The gateway lists newest first; reversed, each list is in creation order.
    events = list(reversed(list(gateway.events_list(created_gte=None, created_lt=None))))
    if account_id:
        events += reversed(list(gateway.events_list(created_gte=None, created_lt=None, account_id=account_id)))
    return sorted(events, key=lambda e: e["created"])  # stable: creation order within a second


def post_signed(url: str, event: dict[str, Any], secret: str) -> int:
    from stripe_emulator import sign

    body = json.dumps(event)
    request = urllib.request.Request(url, data=body.encode(), method="POST", headers={
        "Content-Type": "application/json", "Stripe-Signature": sign(body, secret),
    })
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
