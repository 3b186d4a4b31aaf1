"""Ledger postings per money event at their edges (docs/mutation.md, module `ledger_postings`).

The expected legs are written out by hand from the chart of accounts (docs/ledger.md): which
account, whose, and the signed amount; zero legs are dropped. The edges: an amount of 0, 1 and -1,
a boolean passed as an amount, a commission of 0 and of the whole gross, recoveries of 0 and of
the whole disputed amount, the fees that may be zero.
"""

from __future__ import annotations

import pytest

from payouts.errors import LedgerEntryInvalid
from payouts.ledger import postings as ledger
from payouts.models import AccountCode as C
from payouts.models import JournalEntry
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db


def legs(entry: JournalEntry) -> set[tuple[str, int | None, int]]:
    """(account code, vendor id, signed amount) of each posting, legs on the same account summed."""
    totals: dict[tuple[str, int | None], int] = {}
    for code, vendor_id, amount in entry.postings.values_list("account__code", "account__vendor_id", "amount"):
        totals[(code, vendor_id)] = totals.get((code, vendor_id), 0) + amount
    return {(code, vendor_id, amount) for (code, vendor_id), amount in totals.items() if amount}


def raw_legs(entry: JournalEntry) -> list[tuple[str, int | None, int]]:
    return sorted(entry.postings.values_list("account__code", "account__vendor_id", "amount"))


@pytest.fixture
def vendor_id() -> int:
    return VendorFactory().pk


# --- amounts: positive integers, zero only where a fee or a part may be nothing ------------------
@pytest.mark.parametrize("amount", [0, -1, True, False])
def test_a_transfer_of_nothing_a_negative_or_a_boolean_is_refused_as_such(vendor_id, amount):
    with pytest.raises(LedgerEntryInvalid, match="amount must be a positive integer amount") as error:
        ledger.post_transfer(vendor_id=vendor_id, amount=amount, currency="EUR", transfer_id="tr_x", key="t:x")
    assert error.value.fields == {"amount": [str(amount)]}
    assert not JournalEntry.objects.exists()


def test_a_transfer_of_one_cent_moves_one_cent(vendor_id):
    entry = ledger.post_transfer(vendor_id=vendor_id, amount=1, currency="EUR", transfer_id="tr_1", key="t:1")
    assert raw_legs(entry) == sorted([
        (C.VENDOR_PENDING, vendor_id, 1), (C.PLATFORM_CASH, None, -1),
        (C.VENDOR_CONNECTED_CASH, vendor_id, 1), (C.VENDOR_AVAILABLE, vendor_id, -1),
    ])


def test_a_transfer_reversal_moves_the_money_back(vendor_id):
    entry = ledger.post_transfer_reversed(vendor_id=vendor_id, amount=700, currency="EUR",
                                          transfer_id="tr_2", key="tr:2")
    assert raw_legs(entry) == sorted([
        (C.VENDOR_AVAILABLE, vendor_id, 700), (C.VENDOR_CONNECTED_CASH, vendor_id, -700),
        (C.PLATFORM_CASH, None, 700), (C.VENDOR_PENDING, vendor_id, -700),
    ])


def test_a_payment_without_stripe_fee_and_with_a_zero_and_a_whole_commission(vendor_id):
    other = VendorFactory().pk
    # vendor: 60.00 gross, no commission; other: 40.00 gross, all of it commission; no fee
    entry = ledger.post_payment_captured(order_id=1, amount=10_000, currency="EUR",
                                         vendor_shares=[(vendor_id, 6_000, 0), (other, 4_000, 4_000)],
                                         stripe_fee=0, key="pay:1")
    assert legs(entry) == {
        (C.PLATFORM_CASH, None, 10_000), (C.VENDOR_PENDING, vendor_id, -6_000),
        (C.COMMISSION_REVENUE, None, -4_000),
    }


@pytest.mark.parametrize("refund_commission", [True, False])
def test_a_refund_with_a_zero_and_a_whole_commission(vendor_id, refund_commission):
    other = VendorFactory().pk
    entry = ledger.post_refund(order_id=1, refund_id="re_1", currency="EUR", refund_commission=refund_commission,
                               vendor_shares=[(vendor_id, 3_000, 0), (other, 500, 500)], key="re:1")
    if refund_commission:  # the platform gives up the 5.00 it kept: an expense on refunds
        expected = {(C.VENDOR_PENDING, vendor_id, 3_000), (C.REFUNDS, None, 500), (C.PLATFORM_CASH, None, -3_500)}
    else:  # the vendors bear it all
        expected = {(C.VENDOR_PENDING, vendor_id, 3_000), (C.VENDOR_PENDING, other, 500),
                    (C.PLATFORM_CASH, None, -3_500)}
    assert legs(entry) == expected


# --- chargebacks ------------------------------------------------------------------------------
def test_a_chargeback_without_fee_recovering_the_whole_amount_and_nothing_from_one_vendor(vendor_id):
    other = VendorFactory().pk
    entry = ledger.post_chargeback_opened(dispute_id="dp_1", amount=2_500, currency="EUR", dispute_fee=0,
                                          vendor_recoveries=[(vendor_id, 2_500), (other, 0)], key="dp:1")
    assert legs(entry) == {
        (C.DISPUTED_FUNDS, None, 2_500), (C.PLATFORM_CASH, None, -2_500),
        (C.VENDOR_PENDING, vendor_id, 2_500), (C.VENDOR_DISPUTE_RESERVE, vendor_id, -2_500),
    }


def test_a_negative_recovery_is_refused(vendor_id):
    with pytest.raises(LedgerEntryInvalid, match="recovered must be a positive integer amount"):
        ledger.post_chargeback_opened(dispute_id="dp_2", amount=2_500, currency="EUR", dispute_fee=1_500,
                                      vendor_recoveries=[(vendor_id, -1)], key="dp:2")
    assert not JournalEntry.objects.exists()


def test_a_chargeback_won_without_a_fee_returned_gives_each_reserve_back(vendor_id):
    other = VendorFactory().pk
    entry = ledger.post_chargeback_won(dispute_id="dp_3", amount=2_500, currency="EUR",
                                       vendor_recoveries=[(vendor_id, 1_500), (other, 1_000)], key="dp:3:won")
    assert raw_legs(entry) == sorted([
        (C.PLATFORM_CASH, None, 2_500), (C.DISPUTED_FUNDS, None, -2_500),
        (C.VENDOR_DISPUTE_RESERVE, vendor_id, 1_500), (C.VENDOR_PENDING, vendor_id, -1_500),
        (C.VENDOR_DISPUTE_RESERVE, other, 1_000), (C.VENDOR_PENDING, other, -1_000),
    ])


def test_a_chargeback_won_with_the_fee_returned(vendor_id):
    entry = ledger.post_chargeback_won(dispute_id="dp_4", amount=2_500, currency="EUR", fee_returned=1_500,
                                       vendor_recoveries=[(vendor_id, 2_500)], key="dp:4:won")
    assert raw_legs(entry) == sorted([
        (C.PLATFORM_CASH, None, 2_500), (C.DISPUTED_FUNDS, None, -2_500),
        (C.PLATFORM_CASH, None, 1_500), (C.STRIPE_FEES, None, -1_500),
        (C.VENDOR_DISPUTE_RESERVE, vendor_id, 2_500), (C.VENDOR_PENDING, vendor_id, -2_500),
    ])
