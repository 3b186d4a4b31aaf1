"""Gateway faults: checkout's PaymentIntent, vendor transfers and refunds against every fault the
emulator injects (5xx, 429, resets, timeouts, slowness; before the request runs, or after it ran
and only the answer was lost), through the real stripe SDK.

Each call either goes through exactly once after the gateway's retries (one object in the
emulator, one ledger entry), or fails with GatewayUnavailable leaving its domain record where a
retry or the beat finishes it, still exactly once.
"""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest

from orders import services as order_services
from orders.models import Order
from payments import gateway
from payments.errors import GatewayUnavailable
from payouts import transfers as transfer_services
from payouts.models import JournalEntry, Transfer
from tests.factories.orders import paid_orders, sellable_variant, variant_stock
from tests.support.addresses import ADDRESS_DE
from tests.support.ledger import ledger_balanced
from tests.support.stripe import connect

pytestmark = pytest.mark.django_db

CLIENT_TIMEOUT = 0.2
# Every kind of fault that outlasts the retries; `after` ones let the request run and lose only
# the answer. (A 500 takes the 503's path through the SDK and the gateway: it is among the
# transient ones only, to keep the suite short.)
FAULTS: dict[str, dict[str, Any]] = {
    "502-after": {"status": 502, "when": "after"},
    "503": {"status": 503},
    "429": {"status": 429},
    "reset": {"kind": "reset"},
    "reset-after": {"kind": "reset", "when": "after"},
    "timeout": {"kind": "timeout", "delay_ms": 800},
    "timeout-after": {"kind": "timeout", "delay_ms": 800, "when": "after"},
}
TRANSIENT = {"500": {"status": 500}, **FAULTS, "slow": {"kind": "slow", "delay_ms": 150}}


@pytest.fixture
def emulator(gateway_on_emulator: Any, settings: Any) -> Any:
    settings.STRIPE_TIMEOUT_SECONDS = CLIENT_TIMEOUT
    settings.STRIPE_MAX_NETWORK_RETRIES = 3
    return gateway_on_emulator


def _control(emulator: Any, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(emulator.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _inject(emulator: Any, fault: dict[str, Any], *, path: str, limit: int | None = None) -> None:
    _control(emulator, "POST", "/_emulator/faults", {**fault, "path": path, "method": "POST", "limit": limit})


def _attempts(emulator: Any) -> list[dict[str, Any]]:
    """What the (single) rule saw: one entry per request that reached the emulator."""
    return list(_control(emulator, "GET", "/_emulator/faults")["data"][0]["log"])


def _heal(emulator: Any) -> None:
    _control(emulator, "DELETE", "/_emulator/faults")


def _objects(emulator: Any, kind: str) -> list[dict[str, Any]]:
    return list(_control(emulator, "GET", "/_emulator/state")["objects"].get(kind, []))


def _made_on_failure(fault: dict[str, Any]) -> int:
    """How many objects the emulator holds after a failed call: one when the request ran."""
    return 1 if fault.get("when") == "after" else 0


# --- checkout: the order's PaymentIntent ------------------------------------------------------
def _unpaid_order(shopper: Any, vendor: Any, *, stock: int = 5, quantity: int = 2) -> tuple[Order, Any]:
    variant = sellable_variant(vendor, price=1500, stock=stock)
    cart = order_services.cart_for(user=shopper, create=True)
    order_services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=quantity)
    order = order_services.checkout_submit(user=shopper, address=ADDRESS_DE, shipping_choice={},
                                           checkout_token="faults")
    return order, variant


def _intents_of(emulator: Any, order: Order) -> list[dict[str, Any]]:
    return [pi for pi in _objects(emulator, "payment_intent") if pi["metadata"].get("order_id") == str(order.pk)]


@pytest.mark.parametrize("name", TRANSIENT)
def test_checkout_payment_intent_is_made_once_through_transient_faults(
    emulator: Any, shopper: Any, vendor_a: Any, name: str
) -> None:
    order, _variant = _unpaid_order(shopper, vendor_a)
    _inject(emulator, TRANSIENT[name], path=r"^/v1/payment_intents$", limit=2)

    payment = order_services.order_payment_prepare(order=order)

    order.refresh_from_db()
    intents = _intents_of(emulator, order)
    assert [pi["id"] for pi in intents] == [payment.payment_intent_id] == [order.payment_intent_id]
    assert intents[0]["amount"] == order.total_amount
    attempts = _attempts(emulator)
    assert {a["idempotency_key"] for a in attempts} == {f"payment_intent:order:{order.pk}"}
    assert len(attempts) == (1 if name == "slow" else 3)


@pytest.mark.parametrize("name", FAULTS)
def test_checkout_payment_intent_down_keeps_the_order_and_its_stock_then_is_made_once(
    emulator: Any, shopper: Any, vendor_a: Any, name: str
) -> None:
    order, variant = _unpaid_order(shopper, vendor_a, stock=5, quantity=2)
    _inject(emulator, FAULTS[name], path=r"^/v1/payment_intents$")

    with pytest.raises(GatewayUnavailable) as down:
        order_services.order_payment_prepare(order=order)

    order.refresh_from_db()
    assert down.value.status_code == 503
    assert (order.status, order.payment_intent_id) == (Order.Status.PENDING_PAYMENT, "")
    assert variant_stock(vendor_a, variant.pk) == 3  # still reserved for this order
    assert len(_intents_of(emulator, order)) == _made_on_failure(FAULTS[name])
    assert {a["idempotency_key"] for a in _attempts(emulator)} == {f"payment_intent:order:{order.pk}"}
    _heal(emulator)
    payment = order_services.order_payment_prepare(order=order)
    order.refresh_from_db()
    assert [pi["id"] for pi in _intents_of(emulator, order)] == [payment.payment_intent_id] == [
        order.payment_intent_id]
    assert variant_stock(vendor_a, variant.pk) == 3


@pytest.mark.parametrize("status", [429, 503])
def test_a_proxys_html_page_instead_of_stripes_json_is_retried_like_stripes_own(
    emulator: Any, shopper: Any, vendor_a: Any, status: int
) -> None:
    order, _variant = _unpaid_order(shopper, vendor_a)
    _inject(emulator, {"status": status, "body": "html"}, path=r"^/v1/payment_intents$", limit=2)

    payment = order_services.order_payment_prepare(order=order)

    assert [pi["id"] for pi in _intents_of(emulator, order)] == [payment.payment_intent_id]
    assert len(_attempts(emulator)) == 3


# --- transfers to vendors ----------------------------------------------------------------------
@pytest.fixture
def paid_two_vendor_order(shopper: Any, emulator: Any, vendor_a: Any, vendor_b: Any) -> Order:
    connect(vendor_a, emulator)
    connect(vendor_b, emulator)
    va = sellable_variant(vendor_a, price=1500, stock=10)
    vb = sellable_variant(vendor_b, price=900, stock=10)
    order = paid_orders(shopper)((vendor_a, va, 2), (vendor_b, vb, 1))
    transfer_services.transfers_create_for_order(order_id=order.pk)
    return order


def _transfers_sent_exactly_once(emulator: Any, order: Order) -> None:
    """Each vendor's transfer: sent, one Stripe transfer to its own account, one ledger entry."""
    remote = {t["id"]: t for t in _objects(emulator, "transfer")}
    local = list(Transfer.objects.filter(order=order).select_related("vendor"))
    assert len(remote) == len(local) == 2
    for transfer in local:
        assert transfer.status == Transfer.Status.TRANSFERRED
        sent = remote[transfer.stripe_transfer_id]
        assert (sent["destination"], sent["amount"]) == (transfer.vendor.stripe_account_id, transfer.amount)
        assert JournalEntry.objects.filter(kind="transfer", reference_id=transfer.stripe_transfer_id).count() == 1
    assert JournalEntry.objects.filter(kind="transfer").count() == 2
    assert ledger_balanced()


@pytest.mark.parametrize("name", TRANSIENT)
def test_transfers_are_sent_once_through_transient_faults(emulator: Any, paid_two_vendor_order: Order, name: str) -> None:
    _inject(emulator, TRANSIENT[name], path=r"^/v1/transfers$", limit=2)

    result = transfer_services.transfers_release_due()

    assert (result["sent"], result["failed"]) == (2, 0)
    _transfers_sent_exactly_once(emulator, paid_two_vendor_order)
    keys = [a["idempotency_key"] for a in _attempts(emulator)]
    assert set(keys) == {f"transfer:{t.gateway_key}" for t in Transfer.objects.filter(order=paid_two_vendor_order)}


@pytest.mark.parametrize("name", FAULTS)
def test_transfers_down_fail_with_their_key_kept_and_the_retry_sends_each_once(
    emulator: Any, paid_two_vendor_order: Order, name: str
) -> None:
    _inject(emulator, FAULTS[name], path=r"^/v1/transfers$")

    result = transfer_services.transfers_release_due()

    assert (result["sent"], result["failed"]) == (0, 2)
    failed = list(Transfer.objects.filter(order=paid_two_vendor_order))
    assert {t.status for t in failed} == {Transfer.Status.FAILED}
    assert {t.key_generation for t in failed} == {0}  # maybe sent: the next try must replay, not resend
    assert all(t.last_error.startswith("gateway_unavailable") for t in failed)
    assert len(_objects(emulator, "transfer")) == 2 * _made_on_failure(FAULTS[name])
    assert not JournalEntry.objects.filter(kind="transfer").exists() and ledger_balanced()
    _heal(emulator)
    for transfer in failed:  # finance's retry button (the beat does the same once the backoff ends)
        transfer_services.transfer_retry(transfer_id=transfer.pk)
    _transfers_sent_exactly_once(emulator, paid_two_vendor_order)


# --- refunds -------------------------------------------------------------------------------------
@pytest.fixture
def claim_to_refund(shopper: Any, emulator: Any, vendor_a: Any) -> Any:
    from disputes import services as dispute_services

    variant = sellable_variant(vendor_a, price=2000, stock=5)
    order = paid_orders(shopper)((vendor_a, variant, 2))
    sub = order.sub_orders.get()
    return dispute_services.claim_open(buyer=shopper, order_id=order.pk, sub_order_id=sub.pk,
                                       reason="not_received", description="Nothing has come yet",
                                       lines={sub.lines.get().pk: 2})


def _refunded_on_stripe(order: Order) -> int:
    charges = gateway._client().v1.charges.list(params={"payment_intent": order.payment_intent_id}).data
    return sum(int(charge.amount_refunded) for charge in charges)


def _claim_refunded_once(emulator: Any, claim: Any, amount: int) -> None:
    from disputes.models import ClaimRefund

    claim.refresh_from_db()
    refunds = list(ClaimRefund.objects.filter(claim=claim))
    assert [r.amount for r in refunds] == [amount] and claim.refunded_amount == amount
    assert [r["id"] for r in _objects(emulator, "refund")] == [refunds[0].stripe_refund_id]
    assert _refunded_on_stripe(claim.order) == amount
    assert JournalEntry.objects.filter(kind="refund").count() == 1 and ledger_balanced()


@pytest.mark.parametrize("name", TRANSIENT)
def test_claim_refund_is_made_once_through_transient_faults(
    emulator: Any, claim_to_refund: Any, vendor_a: Any, owner_a: Any, name: str
) -> None:
    from disputes import services as dispute_services

    _inject(emulator, TRANSIENT[name], path=r"^/v1/refunds$", limit=2)

    dispute_services.claim_accept(claim_id=claim_to_refund.pk, vendor=vendor_a, user=owner_a, amount=700)

    _claim_refunded_once(emulator, claim_to_refund, 700)
    assert {a["idempotency_key"] for a in _attempts(emulator)} == {f"refund:claim:{claim_to_refund.pk}:refund:1"}


@pytest.mark.parametrize("name", FAULTS)
def test_claim_refund_down_changes_nothing_and_accepting_again_refunds_once(
    emulator: Any, claim_to_refund: Any, vendor_a: Any, owner_a: Any, name: str
) -> None:
    from disputes import services as dispute_services
    from disputes.models import Claim, ClaimRefund

    _inject(emulator, FAULTS[name], path=r"^/v1/refunds$")

    with pytest.raises(GatewayUnavailable):
        dispute_services.claim_accept(claim_id=claim_to_refund.pk, vendor=vendor_a, user=owner_a, amount=700)

    claim = Claim.objects.get(pk=claim_to_refund.pk)
    assert (claim.status, claim.refunded_amount) == (claim_to_refund.status, 0)
    assert not ClaimRefund.objects.filter(claim=claim).exists()
    assert len(_objects(emulator, "refund")) == _made_on_failure(FAULTS[name])
    assert not JournalEntry.objects.filter(kind="refund").exists() and ledger_balanced()
    _heal(emulator)
    dispute_services.claim_accept(claim_id=claim.pk, vendor=vendor_a, user=owner_a, amount=700)
    _claim_refunded_once(emulator, claim, 700)


def test_buyer_cancel_refund_goes_through_a_lost_answer_once(
    emulator: Any, shopper: Any, vendor_a: Any
) -> None:
    variant = sellable_variant(vendor_a, price=2000, stock=5)
    order = paid_orders(shopper)((vendor_a, variant, 2))
    sub = order.sub_orders.get()
    _inject(emulator, FAULTS["reset-after"], path=r"^/v1/refunds$", limit=1)

    cancelled = order_services.sub_order_cancel_by_buyer(user=shopper, order_id=order.pk, sub_order_id=sub.pk)

    assert cancelled.refunded_amount == cancelled.total_amount
    assert _refunded_on_stripe(order) == cancelled.total_amount
    assert sum(r["amount"] for r in _objects(emulator, "refund")) == cancelled.total_amount
    assert variant_stock(vendor_a, variant.pk) == 5 and ledger_balanced()


@pytest.mark.parametrize("name", ["503", "502-after", "reset-after", "timeout-after"])
def test_recovering_a_refund_from_the_vendors_transfer_down_then_reverses_it_once(
    emulator: Any, shopper: Any, vendor_a: Any, owner_a: Any, name: str
) -> None:
    from disputes import services as dispute_services
    from disputes.models import ClaimRefund
    from payouts.models import TransferReversal

    connect(vendor_a, emulator)
    variant = sellable_variant(vendor_a, price=2000, stock=5)
    order = paid_orders(shopper)((vendor_a, variant, 2))
    transfer_services.transfers_create_for_order(order_id=order.pk)
    assert transfer_services.transfers_release_due()["sent"] == 1
    sub = order.sub_orders.get()
    claim = dispute_services.claim_open(buyer=shopper, order_id=order.pk, sub_order_id=sub.pk, reason="not_received",
                                        description="Nothing has come yet", lines={sub.lines.get().pk: 2})
    dispute_services.claim_accept(claim_id=claim.pk, vendor=vendor_a, user=owner_a, amount=700)
    refund = ClaimRefund.objects.get(claim=claim)
    _inject(emulator, FAULTS[name], path=r"^/v1/transfers/[^/]+/reversals$")

    with pytest.raises(GatewayUnavailable):  # the task's retry policy retries it
        dispute_services.claim_refund_recover(refund_id=refund.pk)

    transfer = Transfer.objects.get(order=order)
    assert (transfer.status, transfer.amount_reversed) == (Transfer.Status.TRANSFERRED, 0)
    assert not TransferReversal.objects.exists()
    assert len(_objects(emulator, "transfer_reversal")) == _made_on_failure(FAULTS[name])
    assert not JournalEntry.objects.filter(kind="transfer_reversed").exists() and ledger_balanced()
    _heal(emulator)
    assert dispute_services.claim_refund_recover(refund_id=refund.pk)
    assert dispute_services.claim_refund_recover(refund_id=refund.pk)  # a redelivered task: nothing more
    [reversal] = _objects(emulator, "transfer_reversal")
    transfer.refresh_from_db()
    assert TransferReversal.objects.get().stripe_reversal_id == reversal["id"]
    assert transfer.amount_reversed == reversal["amount"] > 0
    assert JournalEntry.objects.filter(kind="transfer_reversed").count() == 1 and ledger_balanced()


# --- the retry loop itself -------------------------------------------------------------------
def test_a_call_without_a_domain_key_keeps_one_key_across_the_retries(emulator: Any, shopper: Any) -> None:
    customer = gateway.customer_create(key="faults", email="f@example.com", name="", metadata={})
    _inject(emulator, FAULTS["502-after"], path=r"^/v1/ephemeral_keys$", limit=1)

    made = gateway.ephemeral_key_create(customer_id=customer)

    assert [k["id"] for k in _objects(emulator, "ephemeral_key")] == [made.id]
    keys = [a["idempotency_key"] for a in _attempts(emulator)]
    assert len(keys) == 2 and keys[0] == keys[1]


def test_the_retries_stop_at_the_deadline_whatever_the_attempts_left(emulator: Any, settings: Any) -> None:
    settings.STRIPE_MAX_NETWORK_RETRIES = 20
    settings.STRIPE_RETRY_DEADLINE_SECONDS = 1.0
    _inject(emulator, FAULTS["timeout"], path=r"^/v1/customers$")

    started = time.monotonic()
    with pytest.raises(GatewayUnavailable) as down:
        gateway.customer_create(key="deadline", email="d@example.com", name="", metadata={})

    # Each attempt times out after 0.2 s: a fifth could not end within the second. (Without the
    # deadline: 21 attempts, over 4 s.) The wall-clock bound leaves room for a loaded machine.
    assert 2 <= len(_attempts(emulator)) <= 4
    assert time.monotonic() - started < 2.5
    assert "attempts" in down.value.message


def test_the_default_retry_deadline_ends_before_the_web_workers_timeout() -> None:
    import re
    from pathlib import Path

    from django.conf import settings

    dockerfile = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()
    worker_timeout = int(re.search(r"gunicorn .*--timeout (\d+)", dockerfile)[1])  # type: ignore[index]
    assert settings.STRIPE_TIMEOUT_SECONDS <= settings.STRIPE_RETRY_DEADLINE_SECONDS < worker_timeout


# --- checkout with the gateway down: what the buyer sees ------------------------------------
def test_checkout_api_with_the_gateway_down_is_a_503_to_retry_and_the_retry_gets_the_same_order(
    emulator: Any, shopper: Any, vendor_a: Any
) -> None:
    from rest_framework.test import APIClient

    api = APIClient(HTTP_HOST="marketplace.localhost")
    api.force_authenticate(shopper)
    variant = sellable_variant(vendor_a, price=1000, stock=4)
    api.post("/api/v1/cart/items/", {"vendor_id": vendor_a.pk, "variant_id": variant.pk, "quantity": 3}, format="json")
    _inject(emulator, FAULTS["503"], path=r"^/v1/payment_intents$")
    checkout = {"address": {"name": "Bea", "line1": "Main 1", "city": "Berlin", "postal_code": "10115",
                            "country": "DE"}, "checkout_token": "down-1"}

    down = api.post("/api/v1/checkout/", checkout, format="json")

    assert down.status_code == 503 and down["Retry-After"] == "5"
    body = down.json()
    assert body["error"]["code"] == "gateway_unavailable" and body["error"]["fields"] == {}
    assert "reserved" in body["error"]["message"] and "same checkout" in body["error"]["message"]
    assert body["order"]["status"] == "pending_payment" and body["order"]["reserved_until"]
    assert variant_stock(vendor_a, variant.pk) == 1
    _heal(emulator)
    again = api.post("/api/v1/checkout/", checkout, format="json")
    assert again.status_code == 200 and again.json()["order"]["id"] == body["order"]["id"]
    assert Order.objects.filter(buyer=shopper).count() == 1 and variant_stock(vendor_a, variant.pk) == 1
    order = Order.objects.get(buyer=shopper)
    assert [pi["id"] for pi in _intents_of(emulator, order)] == [again.json()["payment"]["payment_intent_id"]]


def test_order_payment_api_with_the_gateway_down_is_a_503_with_retry_after(emulator: Any, shopper: Any, vendor_a: Any) -> None:
    from rest_framework.test import APIClient

    order, _variant = _unpaid_order(shopper, vendor_a)
    api = APIClient(HTTP_HOST="marketplace.localhost")
    api.force_authenticate(shopper)
    _inject(emulator, FAULTS["reset"], path=r"^/v1/payment_intents$")

    down = api.get(f"/api/v1/orders/{order.pk}/payment/")

    assert down.status_code == 503 and down["Retry-After"] == "5"
    assert down.json()["error"]["code"] == "gateway_unavailable"


def test_payment_page_with_the_gateway_timing_out_asks_to_try_again_and_keeps_the_reservation(
    emulator: Any, shopper: Any, vendor_a: Any, client_for: Any
) -> None:
    order, variant = _unpaid_order(shopper, vendor_a, stock=5, quantity=2)
    client = client_for("marketplace.localhost", shopper)
    _inject(emulator, FAULTS["timeout"], path=r"^/v1/payment_intents$")

    page = client.get(f"/orders/{order.pk}/pay/", follow=True)

    assert page.redirect_chain[-1][0] == f"/orders/{order.pk}/"
    body = page.content.decode()
    assert "could not reach the payment provider" in body and "try the payment again" in body
    order.refresh_from_db()
    assert (order.status, order.payment_intent_id) == (Order.Status.PENDING_PAYMENT, "")
    assert variant_stock(vendor_a, variant.pk) == 3
    _heal(emulator)
    retried = client.get(f"/orders/{order.pk}/pay/")
    order.refresh_from_db()
    assert retried.status_code == 200 and order.payment_intent_id in retried.content.decode()
    assert len(_intents_of(emulator, order)) == 1
