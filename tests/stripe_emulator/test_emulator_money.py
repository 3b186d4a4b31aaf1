"""Money movement through the emulator: refunds, transfers and reversals, payouts, disputes."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from emulator_helpers import available, onboard, pay


def _fee(amount: int) -> int:
    return (amount * 29 + 500) // 1000 + 30


# -- refunds ---------------------------------------------------------------------------------
def test_partial_then_full_refund_and_over_refund_refused(client: stripe.StripeClient) -> None:
    pi = pay(client, 10_000)

    partial = client.v1.refunds.create(
        params={"payment_intent": pi.id, "amount": 2_500, "reason": "requested_by_customer",
                "metadata": {"claim": "c1"}}
    )  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError) as over:
        client.v1.refunds.create(params={"charge": pi.latest_charge.id, "amount": 7_501})
    rest = client.v1.refunds.create(params={"charge": pi.latest_charge.id})
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 1})

    assert partial.id.startswith("re_") and partial.status == "succeeded"
    assert partial.amount == 2_500 and partial.metadata["claim"] == "c1"
    assert over.value.code == "amount_too_large" and over.value.param == "amount"
    assert rest.amount == 7_500
    assert again.value.code == "charge_already_refunded"
    charge = client.v1.charges.retrieve(pi.latest_charge.id, params={"expand": ["refunds"]})
    assert charge.amount_refunded == 10_000 and charge.refunded is True
    assert {r.id for r in charge.refunds.data} == {partial.id, rest.id}
    assert available(client.v1.balance.retrieve()) == -_fee(10_000)
    refund_txns = client.v1.balance_transactions.list(params={"type": "refund"})
    assert sorted(t.amount for t in refund_txns.data) == [-7_500, -2_500]


def test_refund_events(client: stripe.StripeClient, receiver: Any, emulator: Any) -> None:
    pi = pay(client, 10_000)
    refund = client.v1.refunds.create(params={"payment_intent": pi.id, "amount": 4_000})
    client.v1.refunds.update(refund.id, params={"metadata": {"note": "x"}})

    emulator.flush_webhooks()

    types = receiver.types()
    assert types.index("refund.created") < types.index("refund.updated")
    refunded = next(e for e in receiver.received if e["type"] == "charge.refunded")
    assert refunded["data"]["object"]["amount_refunded"] == 4_000
    assert refunded["data"]["previous_attributes"] == {"amount_refunded": 0, "refunded": False}


# -- transfers and reversals -----------------------------------------------------------------
def test_transfer_with_source_transaction_and_group_then_reversals(
    client: stripe.StripeClient,
) -> None:
    vendor = onboard(client)
    pi = pay(client, 10_000, transfer_group="order_1")
    charge = pi.latest_charge

    transfer = client.v1.transfers.create(
        params={"amount": 6_000, "currency": "usd", "destination": vendor.id,
                "transfer_group": "order_1", "source_transaction": charge.id,
                "metadata": {"vendor_order": "vo_1"}}
    )  # fmt: skip
    vendor_balance = client.v1.balance.retrieve(options={"stripe_account": vendor.id})

    assert transfer.id.startswith("tr_") and transfer.destination == vendor.id
    assert transfer.destination_payment.startswith("py_")
    assert available(vendor_balance) == 6_000
    assert available(client.v1.balance.retrieve()) == 10_000 - _fee(10_000) - 6_000
    by_group = client.v1.transfers.list(params={"transfer_group": "order_1"})
    assert [t.id for t in by_group.data] == [transfer.id]
    assert client.v1.transfers.list(params={"destination": vendor.id}).data[0].id == transfer.id

    partial = client.v1.transfers.reversals.create(transfer.id, params={"amount": 1_000})
    after_partial = client.v1.transfers.retrieve(transfer.id)
    full = client.v1.transfers.reversals.create(transfer.id)
    after_full = client.v1.transfers.retrieve(transfer.id)

    assert partial.id.startswith("trr_") and partial.transfer == transfer.id
    assert (after_partial.amount_reversed, after_partial.reversed) == (1_000, False)
    assert full.amount == 5_000
    assert (after_full.amount_reversed, after_full.reversed) == (6_000, True)
    assert len(after_full.reversals.data) == 2
    assert available(client.v1.balance.retrieve(options={"stripe_account": vendor.id})) == 0
    assert available(client.v1.balance.retrieve()) == 10_000 - _fee(10_000)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 1})


def test_source_transaction_limits_what_can_be_transferred(client: stripe.StripeClient) -> None:
    alpha, bravo = onboard(client), onboard(client)
    charge = pay(client, 10_000).latest_charge
    client.v1.transfers.create(
        params={"amount": 7_000, "currency": "usd", "destination": alpha.id,
                "source_transaction": charge.id}
    )  # fmt: skip

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create(
            params={"amount": 3_001, "currency": "usd", "destination": bravo.id,
                    "source_transaction": charge.id}
        )  # fmt: skip
    ok = client.v1.transfers.create(
        params={"amount": 3_000, "currency": "usd", "destination": bravo.id,
                "source_transaction": charge.id}
    )  # fmt: skip

    assert refused.value.code == "balance_insufficient"
    assert ok.source_transaction == charge.id


def test_source_transaction_must_be_a_succeeded_charge(client: stripe.StripeClient) -> None:
    vendor = onboard(client)
    uncaptured = pay(client, 5_000, capture_method="manual").latest_charge

    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.transfers.create(
            params={"amount": 100, "currency": "usd", "destination": vendor.id,
                    "source_transaction": "ch_nope"}
        )  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError) as not_captured:
        client.v1.transfers.create(
            params={"amount": 100, "currency": "usd", "destination": vendor.id,
                    "source_transaction": uncaptured.id}
        )  # fmt: skip

    assert missing.value.code == "resource_missing"
    assert not_captured.value.param == "source_transaction"


def test_transfer_without_source_needs_available_platform_balance(
    client: stripe.StripeClient,
) -> None:
    vendor = onboard(client)
    pay(client, 1_000)

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create(
            params={"amount": 1_000, "currency": "usd", "destination": vendor.id}
        )

    assert refused.value.code == "balance_insufficient"
    assert client.v1.transfers.create(
        params={"amount": 1_000 - _fee(1_000), "currency": "usd", "destination": vendor.id}
    ).amount == 1_000 - _fee(1_000)


# -- payouts ---------------------------------------------------------------------------------
def _funded_vendor(client: stripe.StripeClient, amount: int = 5_000) -> Any:
    vendor = onboard(client)
    charge = pay(client, 10_000).latest_charge
    client.v1.transfers.create(
        params={"amount": amount, "currency": "usd", "destination": vendor.id,
                "source_transaction": charge.id}
    )  # fmt: skip
    return vendor


def test_payout_on_connected_account_is_paid(
    client: stripe.StripeClient, receiver: Any, emulator: Any
) -> None:
    vendor = _funded_vendor(client)
    as_vendor = {"stripe_account": vendor.id}

    payout = client.v1.payouts.create(
        params={"amount": 4_000, "currency": "usd", "metadata": {"run": "r1"}}, options=as_vendor
    )
    emulator.flush_webhooks()

    assert payout.id.startswith("po_") and payout.status == "pending"
    assert payout.destination == vendor.external_accounts.data[0].id
    assert client.v1.payouts.retrieve(payout.id, options=as_vendor).status == "paid"
    assert available(client.v1.balance.retrieve(options=as_vendor)) == 1_000
    payout_events = [e for e in receiver.received if e["type"].startswith("payout.")]
    assert [e["type"] for e in payout_events][:2] == ["payout.created", "payout.paid"]
    assert all(e["account"] == vendor.id for e in payout_events)
    txns = client.v1.balance_transactions.list(params={"type": "payout"}, options=as_vendor)
    assert [t.amount for t in txns.data] == [-4_000]


def test_payout_beyond_available_balance_is_refused(client: stripe.StripeClient) -> None:
    vendor = _funded_vendor(client, 2_000)

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payouts.create(
            params={"amount": 2_001, "currency": "usd"}, options={"stripe_account": vendor.id}
        )

    assert refused.value.code == "balance_insufficient"


def test_failed_payout_returns_funds(
    client: stripe.StripeClient, ctl: Any, receiver: Any, emulator: Any
) -> None:
    vendor = _funded_vendor(client)
    as_vendor = {"stripe_account": vendor.id}
    payout = client.v1.payouts.create(
        params={"amount": 5_000, "currency": "usd"}, options=as_vendor
    )
    assert available(client.v1.balance.retrieve(options=as_vendor)) == 0

    failed = ctl(f"/_emulator/payouts/{payout.id}/fail", {"failure_code": "no_account"})
    emulator.flush_webhooks()

    assert failed["status"] == "failed" and failed["failure_code"] == "no_account"
    assert failed["failure_balance_transaction"].startswith("txn_")
    assert available(client.v1.balance.retrieve(options=as_vendor)) == 5_000
    types = [e["type"] for e in receiver.received if e["type"].startswith("payout.")]
    assert types.index("payout.created") < types.index("payout.paid") < types.index("payout.failed")


def test_payout_held_pending_until_marked_paid(client: stripe.StripeClient, ctl: Any) -> None:
    vendor = _funded_vendor(client)
    ctl("/_emulator/config", {"payouts_auto_paid": False})
    as_vendor = {"stripe_account": vendor.id}

    payout = client.v1.payouts.create(
        params={"amount": 1_000, "currency": "usd"}, options=as_vendor
    )
    pending = client.v1.payouts.retrieve(payout.id, options=as_vendor)
    ctl(f"/_emulator/payouts/{payout.id}/pay", {})

    assert pending.status == "pending"
    assert client.v1.payouts.retrieve(payout.id, options=as_vendor).status == "paid"


def test_payouts_need_an_onboarded_account(client: stripe.StripeClient) -> None:
    account = client.v1.accounts.create(params={"type": "express"})

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payouts.create(
            params={"amount": 100, "currency": "usd"}, options={"stripe_account": account.id}
        )

    assert refused.value.code == "payouts_not_allowed"


# -- disputes --------------------------------------------------------------------------------
def _disputed(client: stripe.StripeClient) -> tuple[Any, Any]:
    pi = pay(client, 10_000, "pm_card_createDispute")
    dispute = client.v1.disputes.list(params={"charge": pi.latest_charge.id}).data[0]
    return pi, dispute


def test_dispute_withdraws_amount_and_fee(client: stripe.StripeClient) -> None:
    _, dispute = _disputed(client)

    withdrawal = dispute.balance_transactions[0]
    assert (withdrawal.amount, withdrawal.fee, withdrawal.net) == (-10_000, 1_500, -11_500)
    assert withdrawal.reporting_category == "dispute"
    assert available(client.v1.balance.retrieve()) == 10_000 - _fee(10_000) - 11_500


def test_dispute_won_with_winning_evidence_returns_funds(
    client: stripe.StripeClient, receiver: Any, emulator: Any
) -> None:
    pi, dispute = _disputed(client)

    updated = client.v1.disputes.update(
        dispute.id,
        params={"evidence": {"uncategorized_text": "winning_evidence",
                             "product_description": "Blue mug"}, "submit": True}
    )  # fmt: skip
    emulator.flush_webhooks()

    assert updated.status == "under_review"
    assert updated.evidence.product_description == "Blue mug"
    closed = client.v1.disputes.retrieve(dispute.id)
    assert closed.status == "won"
    assert closed.evidence_details.submission_count == 1
    assert [t.net for t in closed.balance_transactions] == [-11_500, 11_500]
    assert available(client.v1.balance.retrieve()) == 10_000 - _fee(10_000)
    types = [e["type"] for e in receiver.received if e["type"].startswith("charge.dispute.")]
    assert types[0] == "charge.dispute.created"
    assert types.index("charge.dispute.updated") < types.index("charge.dispute.closed")
    final = next(e for e in receiver.received if e["type"] == "charge.dispute.closed")
    assert final["data"]["object"]["status"] == "won"
    assert final["data"]["object"]["payment_intent"] == pi.id


def test_dispute_lost_with_losing_evidence_keeps_funds_withdrawn(
    client: stripe.StripeClient,
) -> None:
    _, dispute = _disputed(client)

    client.v1.disputes.update(
        dispute.id, params={"evidence": {"uncategorized_text": "losing_evidence"}}
    )

    closed = client.v1.disputes.retrieve(dispute.id)
    assert closed.status == "lost"
    assert len(closed.balance_transactions) == 1
    assert available(client.v1.balance.retrieve()) == 10_000 - _fee(10_000) - 11_500


def test_accepting_a_dispute_and_staging_evidence(client: stripe.StripeClient) -> None:
    _, dispute = _disputed(client)

    staged = client.v1.disputes.update(
        dispute.id, params={"evidence": {"customer_name": "Ann"}, "submit": False}
    )
    closed = client.v1.disputes.close(dispute.id)

    assert staged.status == "needs_response" and staged.evidence_details.has_evidence
    assert closed.status == "lost"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.disputes.update(dispute.id, params={"evidence": {"customer_name": "Bo"}})


def test_control_closes_dispute_as_won(client: stripe.StripeClient, ctl: Any) -> None:
    _, dispute = _disputed(client)

    closed = ctl(f"/_emulator/disputes/{dispute.id}/close", {"outcome": "won"})

    assert closed["status"] == "won"
    assert available(client.v1.balance.retrieve()) == 10_000 - _fee(10_000)


def test_disputed_charge_cannot_be_refunded(client: stripe.StripeClient) -> None:
    pi, _ = _disputed(client)

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.refunds.create(params={"payment_intent": pi.id})

    assert refused.value.code == "charge_disputed"


def test_concurrent_transfers_never_overdraw_a_source_transaction(
    client: stripe.StripeClient,
) -> None:
    import threading

    vendor = onboard(client)
    charge = pay(client, 10_000).latest_charge
    outcomes: list[str] = []

    def transfer() -> None:
        try:
            client.v1.transfers.create(
                params={"amount": 1_000, "currency": "usd", "destination": vendor.id,
                        "source_transaction": charge.id}
            )  # fmt: skip
            outcomes.append("ok")
        except stripe.InvalidRequestError as exc:
            outcomes.append(str(exc.code))

    threads = [threading.Thread(target=transfer) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("ok") == 10
    assert outcomes.count("balance_insufficient") == 6
    assert available(client.v1.balance.retrieve(options={"stripe_account": vendor.id})) == 10_000


def test_control_balance_adjustment_and_forced_dispute(
    client: stripe.StripeClient, ctl: Any
) -> None:
    vendor = onboard(client)
    ctl("/_emulator/balance/adjust", {"account": vendor.id, "amount": 2_500, "currency": "usd"})
    charge = pay(client, 5_000).latest_charge

    dispute = ctl(f"/_emulator/charges/{charge.id}/dispute", {"reason": "product_not_received"})

    assert available(client.v1.balance.retrieve(options={"stripe_account": vendor.id})) == 2_500
    assert dispute["reason"] == "product_not_received" and dispute["status"] == "needs_response"
    assert client.v1.disputes.retrieve(dispute["id"]).charge == charge.id
