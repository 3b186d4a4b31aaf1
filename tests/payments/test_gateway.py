"""The gateway facade against the emulator through the real `stripe` SDK: results, keys, errors."""

from __future__ import annotations

import json
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from payments import gateway
from payments.errors import (
    AuthenticationRequired,
    CardDeclined,
    GatewayMisconfigured,
    GatewayUnavailable,
    IdempotencyConflict,
    InvalidGatewayRequest,
    ResourceMissing,
)
from tests.payments.flows import submit_form


def _state(ctl: Any, kind: str) -> list[dict[str, Any]]:
    return ctl("/_emulator/state")["objects"].get(kind, [])


def _onboarded_account(ctl: Any, vendor_id: int = 1) -> gateway.ConnectAccount:
    account = gateway.account_create(
        vendor_id=vendor_id, country="DE", email=f"v{vendor_id}@example.com", business_name="V"
    )
    ctl(f"/_emulator/accounts/{account.id}/complete_onboarding", {})
    return gateway.account_retrieve(account_id=account.id)


def _paid_intent(order_id: int = 1, amount: int = 5000, card: str = "pm_card_visa") -> gateway.PaymentIntent:
    intent = gateway.payment_intent_create(
        order_id=order_id, amount=amount, currency="EUR", transfer_group=f"order_{order_id}",
        metadata={"buyer": "b1"},
    )
    return gateway.payment_intent_confirm(payment_intent_id=intent.id, payment_method=card)


# --- accounts ---------------------------------------------------------------------------------
def test_account_create_returns_a_plain_dataclass_with_requirements(ctl: Any) -> None:
    account = gateway.account_create(vendor_id=7, country="de", email="a@example.com", business_name="Acme")
    assert isinstance(account, gateway.ConnectAccount)
    assert account.id.startswith("acct_")
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (False, False, False)
    stored = _state(ctl, "account")[0]
    assert stored["country"] == "DE" and stored["metadata"] == {"vendor_id": "7"}


def test_account_create_is_idempotent_per_vendor(ctl: Any) -> None:
    first = gateway.account_create(vendor_id=8, country="DE", email="a@example.com", business_name="A")
    again = gateway.account_create(vendor_id=8, country="DE", email="a@example.com", business_name="A")
    other = gateway.account_create(vendor_id=9, country="DE", email="b@example.com", business_name="B")
    assert first.id == again.id != other.id
    assert len(_state(ctl, "account")) == 2


def test_onboarding_through_the_account_link_enables_the_account() -> None:
    account = gateway.account_create(vendor_id=10, country="FR", email="c@example.com", business_name="C")
    url = gateway.account_link_create(
        account_id=account.id, refresh_url="http://marketplace.localhost/refresh",
        return_url="http://marketplace.localhost/return",
    )
    assert "/_emulator/connect/onboarding/" in url
    with urllib.request.urlopen(url, timeout=10) as page:
        assert b"complete-onboarding" in page.read()
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["link"][0]
    form = urllib.parse.urlencode({"link": token, "action": "complete"}).encode()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(urllib.request.Request(url, data=form, method="POST"), timeout=10)
    assert redirect.value.code == 303
    assert redirect.value.headers["Location"] == "http://marketplace.localhost/return"
    done = gateway.account_retrieve(account_id=account.id)
    assert (done.charges_enabled, done.payouts_enabled, done.details_submitted) == (True, True, True)
    assert done.requirements_due == []


def test_account_retrieve_of_an_unknown_account_is_resource_missing() -> None:
    with pytest.raises(ResourceMissing) as error:
        gateway.account_retrieve(account_id="acct_doesnotexist")
    assert error.value.status_code == 404


# --- payment intents and test cards ------------------------------------------------------------
def test_payment_intent_create_is_one_per_order(ctl: Any) -> None:
    first = gateway.payment_intent_create(order_id=41, amount=2500, currency="EUR",
                                          transfer_group="order_41", metadata={})
    again = gateway.payment_intent_create(order_id=41, amount=2500, currency="EUR",
                                          transfer_group="order_41", metadata={})
    assert first == again
    assert first.status == "requires_payment_method"
    assert (first.amount, first.currency, first.transfer_group) == (2500, "EUR", "order_41")
    assert first.client_secret and first.client_secret.startswith(first.id)
    assert len(_state(ctl, "payment_intent")) == 1


def test_same_order_other_amount_is_an_idempotency_conflict() -> None:
    gateway.payment_intent_create(order_id=42, amount=2500, currency="EUR", transfer_group="o42", metadata={})
    with pytest.raises(IdempotencyConflict) as error:
        gateway.payment_intent_create(order_id=42, amount=2600, currency="EUR", transfer_group="o42", metadata={})
    assert error.value.code == "idempotency_conflict"
    assert error.value.status_code == 409


@pytest.mark.parametrize("card", ["pm_card_visa", "pm_card_visa_debit", "pm_card_mastercard", "pm_card_amex",
                                  "pm_card_bypassPending"])
def test_successful_cards(card: str) -> None:
    intent = _paid_intent(order_id=100, card=card)
    assert intent.status == "succeeded"
    assert intent.latest_charge and intent.latest_charge.startswith("ch_")


@pytest.mark.parametrize(
    ("card", "decline_code"),
    [
        ("pm_card_chargeDeclined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
        ("pm_card_chargeDeclinedLostCard", "lost_card"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card"),
        ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc"),
    ],
)
def test_declining_cards_raise_card_declined(card: str, decline_code: str) -> None:
    intent = gateway.payment_intent_create(order_id=101, amount=1500, currency="EUR", transfer_group="o101", metadata={})
    with pytest.raises(CardDeclined) as error:
        gateway.payment_intent_confirm(payment_intent_id=intent.id, payment_method=card)
    assert error.value.decline_code == decline_code
    assert error.value.status_code == 402
    after = gateway.payment_intent_retrieve(payment_intent_id=intent.id)
    assert after.status == "requires_payment_method"
    assert after.last_error_code == decline_code


def test_three_d_secure_card_needs_action_then_completes() -> None:
    intent = gateway.payment_intent_create(order_id=102, amount=1500, currency="EUR", transfer_group="o102", metadata={})
    pending = gateway.payment_intent_confirm(
        payment_intent_id=intent.id, payment_method="pm_card_authenticationRequired",
        return_url="http://marketplace.localhost/checkout/return",
    )
    assert pending.status == "requires_action"
    assert pending.next_action_url and "/_emulator/3ds/" in pending.next_action_url
    status = submit_form(pending.next_action_url, {"action": "complete", "client_secret": pending.client_secret or ""})
    assert status == 303  # back to our return URL
    assert gateway.payment_intent_retrieve(payment_intent_id=intent.id).status == "succeeded"


def test_three_d_secure_card_off_session_is_authentication_required() -> None:
    intent = gateway.payment_intent_create(order_id=103, amount=1500, currency="EUR", transfer_group="o103", metadata={})
    with pytest.raises(AuthenticationRequired):
        gateway.payment_intent_confirm(
            payment_intent_id=intent.id, payment_method="pm_card_authenticationRequired", off_session=True
        )


def _browser_confirm(intent: Any, payment_method: str, **extra: str) -> dict[str, Any]:
    """Confirm as Stripe.js does from the payment page: publishable key + client secret."""
    body = urllib.parse.urlencode({"key": gateway.publishable_key(), "client_secret": intent.client_secret,
                                   "payment_method": payment_method, **extra}).encode()
    url = f"{gateway.api_base()}/v1/payment_intents/{intent.id}/confirm"
    with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"), timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_payment_intent_offers_automatic_payment_methods_and_carries_the_customer() -> None:
    customer = gateway.customer_create(key="user:1", email="bea@example.com", name="Bea", metadata={"user_id": 1})
    intent = gateway.payment_intent_create(order_id=104, amount=1999, currency="EUR", transfer_group="o104",
                                           metadata={}, customer_id=customer)
    raw = gateway.payment_intent_retrieve_raw(payment_intent_id=intent.id)
    paid = _browser_confirm(intent, "pm_card_visa", setup_future_usage="off_session")
    assert raw["automatic_payment_methods"]["enabled"] is True and raw["customer"] == customer
    assert paid["status"] == "succeeded"
    assert gateway.payment_intent_retrieve(payment_intent_id=intent.id).status == "succeeded"


def test_customer_is_created_once_per_key() -> None:
    first = gateway.customer_create(key="user:7", email="a@example.com", name="", metadata={})
    again = gateway.customer_create(key="user:7", email="a@example.com", name="", metadata={})
    other = gateway.customer_create(key="user:8", email="b@example.com", name="", metadata={})
    assert first == again != other and first.startswith("cus_")


def test_customer_session_is_a_client_secret_for_the_element() -> None:
    customer = gateway.customer_create(key="user:9", email="c@example.com", name="", metadata={})
    secret = gateway.customer_session_create(customer_id=customer)
    assert secret.startswith("cuss_secret_")
    with pytest.raises(ResourceMissing):
        gateway.customer_session_create(customer_id="cus_missing")


def test_stripe_js_comes_from_the_emulator_without_keys_and_from_stripe_with_them(settings: Any) -> None:
    on_emulator = (gateway.stripe_js_url(), gateway.publishable_key(), gateway.stripe_js_csp())
    settings.STRIPE_SECRET_KEY = "sk_test_real"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_real"
    settings.STRIPE_API_BASE = ""
    on_stripe = (gateway.stripe_js_url(), gateway.publishable_key(), gateway.stripe_js_csp())
    settings.STRIPE_JS_URL = "https://js.example.test/v3/"
    chosen = gateway.stripe_js_csp()

    assert on_emulator[0].endswith("/v3/") and on_emulator[1] == "pk_test_emulator"
    assert on_emulator[2]["script-src"] == [on_emulator[0].removesuffix("/v3/")]
    assert on_stripe[:2] == ("https://js.stripe.com/v3/", "pk_test_real")
    assert on_stripe[2] == {"script-src": ["https://js.stripe.com"],
                            "frame-src": ["https://js.stripe.com", "https://hooks.stripe.com"],
                            "connect-src": ["https://js.stripe.com", "https://api.stripe.com"]}
    assert chosen["script-src"] == ["https://js.example.test"]


def test_cancel() -> None:
    intent = gateway.payment_intent_create(order_id=105, amount=1500, currency="EUR", transfer_group="o105", metadata={})
    assert gateway.payment_intent_cancel(payment_intent_id=intent.id).status == "canceled"
    assert gateway.payment_intent_cancel(payment_intent_id=intent.id).status == "canceled"  # replayed


def test_unknown_payment_intent_is_resource_missing() -> None:
    with pytest.raises(ResourceMissing):
        gateway.payment_intent_retrieve(payment_intent_id="pi_nope")


def test_bad_parameters_are_invalid_gateway_request() -> None:
    with pytest.raises(InvalidGatewayRequest) as error:
        gateway.payment_intent_create(order_id=106, amount=10, currency="EUR", transfer_group="o106", metadata={})
    assert error.value.gateway_code == "amount_too_small"
    assert error.value.param == "amount"


def test_a_live_key_is_misconfiguration(settings: Any, emulator: Any) -> None:
    settings.STRIPE_SECRET_KEY = "sk_live_nope"
    settings.STRIPE_API_BASE = emulator.url
    with pytest.raises(GatewayMisconfigured):
        gateway.account_retrieve(account_id="acct_x")


# --- refunds, transfers, payouts, disputes -----------------------------------------------------
def test_refund_is_idempotent_by_key(ctl: Any) -> None:
    intent = _paid_intent(order_id=200, amount=5000)
    first = gateway.refund_create(key="claim:1", payment_intent_id=intent.id, amount=1200, metadata={"claim": 1})
    again = gateway.refund_create(key="claim:1", payment_intent_id=intent.id, amount=1200, metadata={"claim": 1})
    assert first == again
    assert (first.amount, first.currency, first.status, first.payment_intent) == (1200, "EUR", "succeeded", intent.id)
    assert len(_state(ctl, "refund")) == 1
    with pytest.raises(InvalidGatewayRequest):
        gateway.refund_create(key="claim:2", payment_intent_id=intent.id, amount=9000, metadata={})


def test_transfer_and_reversal(ctl: Any) -> None:
    account = _onboarded_account(ctl, vendor_id=20)
    intent = _paid_intent(order_id=201, amount=10000)
    transfer = gateway.transfer_create(
        key="order:201:vendor:20", amount=8000, currency="EUR", destination=account.id,
        source_transaction=intent.latest_charge, transfer_group="order_201", metadata={"order": 201},
    )
    again = gateway.transfer_create(
        key="order:201:vendor:20", amount=8000, currency="EUR", destination=account.id,
        source_transaction=intent.latest_charge, transfer_group="order_201", metadata={"order": 201},
    )
    assert transfer == again and len(_state(ctl, "transfer")) == 1
    assert (transfer.destination, transfer.source_transaction, transfer.transfer_group) == (
        account.id, intent.latest_charge, "order_201")
    reversal = gateway.transfer_reverse(key="claim:9", transfer_id=transfer.id, amount=3000, metadata={})
    assert gateway.transfer_reverse(key="claim:9", transfer_id=transfer.id, amount=3000, metadata={}) == reversal
    assert (reversal.amount, reversal.transfer) == (3000, transfer.id)
    assert gateway.transfer_retrieve(transfer_id=transfer.id).amount_reversed == 3000
    balance = gateway.balance_retrieve(account_id=account.id)
    assert balance["available"].get("EUR", 0) + balance["pending"].get("EUR", 0) == 5000


def test_payout_from_a_connected_account(ctl: Any) -> None:
    account = _onboarded_account(ctl, vendor_id=21)
    intent = _paid_intent(order_id=202, amount=10000)
    gateway.transfer_create(key="t202", amount=6000, currency="EUR", destination=account.id,
                            source_transaction=intent.latest_charge, transfer_group="order_202", metadata={})
    payout = gateway.payout_create(key="payout:21:1", account_id=account.id, amount=6000, currency="EUR", metadata={})
    assert gateway.payout_create(key="payout:21:1", account_id=account.id, amount=6000, currency="EUR", metadata={}) == payout
    assert payout.account_id == account.id
    assert gateway.payout_retrieve(payout_id=payout.id, account_id=account.id).status == "paid"


def _disputed_charge() -> tuple[gateway.PaymentIntent, gateway.Dispute]:
    intent = _paid_intent(order_id=300, amount=4000, card="pm_card_createDispute")
    disputes = [
        e["data"]["object"] for e in gateway.events_list(created_gte=None, created_lt=None, event_type="charge.dispute.created")
    ]
    assert len(disputes) == 1
    return intent, gateway.dispute_retrieve(dispute_id=disputes[0]["id"])


def test_dispute_won_with_evidence() -> None:
    intent, dispute = _disputed_charge()
    assert (dispute.status, dispute.charge, dispute.amount) == ("needs_response", intent.latest_charge, 4000)
    updated = gateway.dispute_update(dispute_id=dispute.id, evidence={"uncategorized_text": "winning_evidence"}, submit=True)
    assert updated.evidence["uncategorized_text"] == "winning_evidence"
    assert gateway.dispute_retrieve(dispute_id=dispute.id).status == "won"


def test_dispute_lost_by_closing() -> None:
    _, dispute = _disputed_charge()
    assert gateway.dispute_close(dispute_id=dispute.id).status == "lost"
    assert gateway.dispute_close(dispute_id=dispute.id).status == "lost"  # replayed by key


def test_balance_transactions_list_pages_through_everything() -> None:
    for order_id in range(400, 403):
        _paid_intent(order_id=order_id, amount=1000 + order_id)
    txns = list(gateway.balance_transactions_list(created_gte=None, created_lt=None))
    charges = [t for t in txns if t["type"] == "charge"]
    assert sorted(t["amount"] for t in charges) == [1400, 1401, 1402]
    assert all(t["fee"] > 0 for t in charges)
    assert list(gateway.balance_transactions_list(created_gte=0, created_lt=1)) == []


# --- retries ------------------------------------------------------------------------------------
class FlakyStripe:
    """A tiny local server: answers `failures` errors, then a PaymentIntent; records requests."""

    def __init__(self, failures: int, status: int = 500) -> None:
        self.failures = failures
        self.status = status
        self.requests: list[dict[str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self.lock:
            self.requests.append({"key": request.headers.get("Idempotency-Key", ""), "path": request.path})
            failing = len(self.requests) <= self.failures
        if failing:
            body = {"error": {"type": "api_error", "message": "try again", "code": None}}
            return Response(json.dumps(body), status=self.status, content_type="application/json")(environ, start_response)
        body = {"id": "pi_flaky", "object": "payment_intent", "status": "requires_payment_method",
                "client_secret": "pi_flaky_secret", "amount": 2000, "currency": "eur",
                "latest_charge": None, "metadata": {}, "created": 1}
        return Response(json.dumps(body), content_type="application/json")(environ, start_response)


@pytest.fixture
def flaky(settings: Any) -> Iterator[Any]:
    servers: list[Any] = []

    def start(failures: int, status: int = 500) -> FlakyStripe:
        app = FlakyStripe(failures, status)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        settings.STRIPE_API_BASE = f"http://127.0.0.1:{server.server_port}"
        return app

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_retries_5xx_and_429_with_the_same_idempotency_key(flaky: Any, status: int) -> None:
    app = flaky(failures=2, status=status)
    intent = gateway.payment_intent_create(order_id=77, amount=2000, currency="EUR", transfer_group="o77", metadata={})
    assert intent.id == "pi_flaky"
    assert len(app.requests) == 3
    assert {r["key"] for r in app.requests} == {"payment_intent:order:77"}


def test_gives_up_after_the_retry_budget_with_gateway_unavailable(flaky: Any, settings: Any) -> None:
    settings.STRIPE_MAX_NETWORK_RETRIES = 2
    app = flaky(failures=100)
    with pytest.raises(GatewayUnavailable) as error:
        gateway.payment_intent_create(order_id=78, amount=2000, currency="EUR", transfer_group="o78", metadata={})
    assert len(app.requests) == 3
    assert error.value.status_code == 503


def test_connection_refused_is_retried_then_unavailable(settings: Any) -> None:
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    with pytest.raises(GatewayUnavailable):
        gateway.payment_intent_retrieve(payment_intent_id="pi_x")


def test_4xx_is_not_retried(flaky: Any) -> None:
    app = flaky(failures=1, status=400)
    with pytest.raises(InvalidGatewayRequest):
        gateway.payment_intent_create(order_id=79, amount=2000, currency="EUR", transfer_group="o79", metadata={})
    assert len(app.requests) == 1


def test_defaults_point_at_the_emulator(settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_API_BASE = ""
    assert gateway.api_key() == "sk_test_emulator"
    assert gateway.api_base() == "http://127.0.0.1:12111"
    settings.STRIPE_SECRET_KEY = "sk_test_real"
    assert gateway.api_base() == "https://api.stripe.com"
    assert not gateway.on_emulator()
