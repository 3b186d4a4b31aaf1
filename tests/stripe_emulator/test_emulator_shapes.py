"""Every object the emulator emits has the shape of Stripe's own fixture for its type."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import stripe
from emulator_helpers import http, onboard, pay, press

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "stripe_fixtures.json")
# The shared, complete fixture file: ../shared beside the repository (CI and the workspace), or
# STRIPE_FIXTURES_PATH.
_SHARED_CANDIDATES = [
    os.environ.get("STRIPE_FIXTURES_PATH", ""),
    os.path.join(HERE, "..", "..", "..", "..", "shared", "stripe", "fixtures3.json"),
    "/work/shared/stripe/fixtures3.json",
]
SHARED = next((path for path in _SHARED_CANDIDATES if path and os.path.exists(path)), "")

# Keys the emulator adds on top of a fixture, each listed in stripe_emulator/README.md.
DOCUMENTED_EXTRAS: dict[str, set[str]] = {
    # Stripe sets `account` on events that concern a connected account (Connect webhooks);
    # the fixture is a platform event.
    "event": {"account"},
    # Includable fields (Stripe's fixtures leave them out): `expand[]=line_items` on a tax
    # calculation, and `...tax_breakdown` on its lines.
    "tax.calculation": {"line_items"},
    "tax.calculation_line_item": {"tax_breakdown"},
}
LIST_KEYS = {"object", "data", "has_more", "url"}
EXPECTED_TYPES = {
    "account", "account_link", "login_link", "bank_account", "customer", "payment_method",
    "payment_intent", "charge", "refund", "balance", "balance_transaction", "transfer",
    "transfer_reversal", "payout", "dispute", "event", "file", "tax.calculation",
    "tax.calculation_line_item", "tax.transaction", "tax.transaction_line_item",
}  # fmt: skip
FREE_FORM = {"metadata", "capabilities", "previous_attributes", "source_types"}


def fixtures() -> dict[str, Any]:
    with open(FIXTURES, encoding="utf-8") as fh:
        return json.load(fh)["resources"]


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every Stripe object (a dict with `object`) inside `node`, including `node`."""
    if isinstance(node, dict):
        if isinstance(node.get("object"), str):
            yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def nested_problems(fixture: Any, actual: Any, path: str) -> list[str]:
    """Where `actual` lacks a fixture key or holds another JSON type (null matches anything)."""
    if fixture is None or actual is None:
        return []
    if isinstance(fixture, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {type(actual).__name__}"]
        if "object" in fixture and fixture.get("object") != actual.get("object"):
            return []  # another object type: checked on its own against its own fixture
        if "type" in fixture and fixture.get("type") != actual.get("type"):
            return []  # a polymorphic hash (payment_method_details, controller, ...)
        problems = [f"{path}.{key}: missing" for key in fixture if key not in actual]
        for key, value in fixture.items():
            if key in actual and key not in FREE_FORM:
                problems += nested_problems(value, actual[key], f"{path}.{key}")
        return problems
    if isinstance(fixture, list):
        if not isinstance(actual, list):
            return [f"{path}: expected a list, got {type(actual).__name__}"]
        if fixture and actual:
            return nested_problems(fixture[0], actual[0], f"{path}[0]")
        return []
    if isinstance(fixture, str) and isinstance(actual, dict) and "object" in actual:
        return []  # an expanded id
    if isinstance(fixture, bool) or isinstance(actual, bool):
        ok = isinstance(fixture, bool) and isinstance(actual, bool)
    elif isinstance(fixture, int | float):
        ok = isinstance(actual, int | float)
    else:
        ok = isinstance(actual, type(fixture))
    return [] if ok else [f"{path}: expected {type(fixture).__name__}, got {actual!r}"]


def test_vendored_fixtures_match_the_shared_file() -> None:
    assert SHARED, "Stripe's fixtures3.json was not found (set STRIPE_FIXTURES_PATH)"
    with open(SHARED, encoding="utf-8") as fh:
        shared = json.load(fh)["resources"]

    for name, fixture in fixtures().items():
        assert shared[name] == fixture, name


def _exercise_everything(client: stripe.StripeClient, ctl: Any) -> list[Any]:
    """Drive every flow the emulator supports; return the raw responses it gave."""
    out: list[Any] = []
    vendor = onboard(client, email="v@example.com")
    out.append(vendor)
    link = client.v1.account_links.create(
        params={"account": vendor.id, "type": "account_update",
                "refresh_url": "https://m.example/r", "return_url": "https://m.example/d"}
    )  # fmt: skip
    out += [
        link,
        client.v1.accounts.login_links.create(vendor.id),
        client.v1.accounts.retrieve_current(),
    ]
    customer = client.v1.customers.create(params={"email": "b@example.com", "metadata": {"a": "1"}})
    pm = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4242424242424242", "exp_month": 1,
                "exp_year": 2031, "cvc": "123"}}
    )  # fmt: skip
    out += [customer, client.v1.payment_methods.attach(pm.id, params={"customer": customer.id})]
    paid = pay(client, 20_000, pm.id, customer=customer.id, transfer_group="g1")
    refund = client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 1_000})
    transfer = client.v1.transfers.create(
        params={"amount": 5_000, "currency": "usd", "destination": vendor.id,
                "source_transaction": paid.latest_charge.id, "transfer_group": "g1"}
    )  # fmt: skip
    reversal = client.v1.transfers.reversals.create(transfer.id, params={"amount": 500})
    payout = client.v1.payouts.create(
        params={"amount": 1_000, "currency": "usd"}, options={"stripe_account": vendor.id}
    )
    ctl(f"/_emulator/payouts/{payout.id}/fail", {})
    out += [paid, refund, transfer, reversal, payout]
    try:
        pay(client, 1_000, "pm_card_chargeDeclined")
    except stripe.CardError as exc:
        out.append(exc.json_body)
    three_ds = pay(client, 1_000, "pm_card_authenticationRequired", return_url="https://s.example")
    out.append(three_ds)
    press(http(three_ds.next_action.redirect_to_url.url), "complete-3ds")
    manual = pay(client, 3_000, capture_method="manual")
    out += [
        manual,
        client.v1.payment_intents.capture(manual.id, params={"amount_to_capture": 2_000}),
    ]
    canceled = pay(client, 3_000, capture_method="manual")
    out.append(client.v1.payment_intents.cancel(canceled.id))
    disputed = pay(client, 4_000, "pm_card_createDispute")
    dispute = client.v1.disputes.list(params={"charge": disputed.latest_charge.id}).data[0]
    receipt = client.v1.files.create(
        params={"purpose": "dispute_evidence", "file": io.BytesIO(b"%PDF-1.4 receipt")}
    )
    out.append(receipt)
    out.append(
        client.v1.disputes.update(
            dispute.id,
            params={"evidence": {"uncategorized_text": "winning_evidence", "receipt": receipt.id}},
        )
    )
    out += [
        client.v1.balance.retrieve(),
        client.v1.balance.retrieve(options={"stripe_account": vendor.id}),
    ]
    out.append(client.v1.customers.delete(client.v1.customers.create().id))
    out.append(client.v1.charges.list(params={"expand": ["data.balance_transaction"]}))
    out += _exercise_tax(client)
    assert urlsplit(link.url).path.startswith("/_emulator/connect/onboarding/")
    return [o.to_dict() if hasattr(o, "to_dict") else o for o in out]


def _exercise_tax(client: stripe.StripeClient) -> list[Any]:
    """Stripe Tax: a calculation (plain and with its lines expanded), its lines, a transaction."""
    calculation = client.v1.tax.calculations.create(params={
        "currency": "eur", "customer_details": {"address": {"country": "DE"}, "address_source": "shipping"},
        "line_items": [{"amount": 11_900, "reference": "shirt", "tax_behavior": "inclusive"},
                       {"amount": 10_700, "reference": "novel", "tax_code": "txcd_35010000",
                        "tax_behavior": "inclusive"}],
    })
    expanded = client.v1.tax.calculations.retrieve(
        calculation.id, params={"expand": ["line_items.data.tax_breakdown"]})
    lines = client.v1.tax.calculations.line_items.list(calculation.id)
    transaction = client.v1.tax.transactions.create_from_calculation(
        params={"calculation": calculation.id, "reference": "order-1"})
    return [calculation, expanded, lines, transaction, client.v1.tax.transactions.retrieve(transaction.id)]


def test_every_emitted_object_has_its_fixture_shape(client: stripe.StripeClient, ctl: Any) -> None:
    responses = _exercise_everything(client, ctl)
    state = ctl("/_emulator/state")["objects"]
    reference = fixtures()

    seen: dict[str, int] = {}
    problems: list[str] = []
    for obj in walk([responses, state]):
        kind = obj["object"]
        if kind == "list":
            if set(obj) != LIST_KEYS:
                problems.append(f"list {obj.get('url')}: keys {sorted(obj)}")
            continue
        name = "deleted_customer" if kind == "customer" and obj.get("deleted") else kind
        seen[name] = seen.get(name, 0) + 1
        if name not in reference:
            problems.append(f"{name}: no fixture to compare with")
            continue
        fixture = reference[name]
        keys = set(obj) - DOCUMENTED_EXTRAS.get(name, set())
        if keys != set(fixture):
            problems.append(
                f"{name} {obj.get('id', '')}: missing {sorted(set(fixture) - keys)}, "
                f"extra {sorted(keys - set(fixture))}"
            )
        if name != "event":  # an event's data.object is checked as its own object
            problems += nested_problems(fixture, obj, name)

    assert not problems, "\n".join(sorted({p[:200] for p in problems}))
    assert set(seen) >= EXPECTED_TYPES, EXPECTED_TYPES - set(seen)
    assert seen["event"] > 30
