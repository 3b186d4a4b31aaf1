"""Every request the gateway sends uses only parameters the installed `stripe` SDK declares.

The calls are typed with the SDK's own `stripe.params` TypedDicts, so `make typecheck` (mypy)
refuses an unknown or mistyped parameter; these tests keep it that way and cover the list
queries, whose parameters are assembled at run time."""

from __future__ import annotations

import re
from pathlib import Path

import stripe.params

from payments import gateway

GATEWAY = Path(gateway.__file__).read_text(encoding="utf-8")


def test_no_request_escapes_the_type_check() -> None:
    assert "type: ignore[arg-type]" not in GATEWAY
    # Every SDK call with params passes a variable annotated with the SDK's params type.
    annotated = set(re.findall(r"params: ([\w.]+Params) = ", GATEWAY))
    assert {"PaymentIntentCreateParams", "PaymentIntentConfirmParams", "CustomerCreateParams",
            "CustomerSessionCreateParams", "AccountCreateParams", "TransferCreateParams",
            "RefundCreateParams", "PayoutCreateParams", "DisputeUpdateParams"} <= annotated
    assert "tax_params.CalculationCreateParams" in annotated
    for name in annotated:
        # `tax_params.X` is stripe.params.tax.X (the SDK's Stripe Tax namespace).
        holder = stripe.params.tax if name.startswith("tax_params.") else stripe.params
        assert hasattr(holder, name.rsplit(".", 1)[-1]), name


def test_list_queries_use_declared_parameters() -> None:
    query = dict(gateway._created_filter(1, 2), limit=100, starting_after="x")
    for params_type in (stripe.params.PaymentIntentListParams, stripe.params.BalanceTransactionListParams,
                        stripe.params.EventListParams):
        assert set(query) <= set(params_type.__annotations__), params_type
    assert "type" in stripe.params.EventListParams.__annotations__


def test_payment_intent_create_sends_declared_parameters_only() -> None:
    declared = set(stripe.params.PaymentIntentCreateParams.__annotations__)
    sent = {"amount", "currency", "transfer_group", "metadata", "automatic_payment_methods", "customer"}
    assert sent <= declared
    body = GATEWAY[GATEWAY.index("def payment_intent_create("):GATEWAY.index("def payment_intent_retrieve(")]
    assert set(re.findall(r'^\s+"(\w+)":', body, re.MULTILINE)) | set(re.findall(r'params\["(\w+)"\]', body)) <= declared
