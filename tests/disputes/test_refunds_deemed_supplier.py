"""Refunds of a sale where the platform owes the VAT as deemed supplier (a vendor established
outside the EU selling to a consumer in Germany): the tax in the refund is no longer owed, so it
comes off `tax_payable` and neither the vendor nor the platform's refund expense carries it.
Claim refunds (each liability) and the buyer's cancellation of the part (a sub-order refund)."""

from __future__ import annotations

import pytest

from disputes import services
from disputes.models import ClaimRefund
from disputes.services.refunds import claim_refund_recover
from orders.services import sub_order_cancel_by_buyer
from payouts.models import AccountCode, JournalEntry, Posting, TransferReversal
from tests.factories.orders import paid_orders, sellable_variant
from tests.support.ledger import ledger_balanced

pytestmark = pytest.mark.django_db

# 119.00 EUR with 19 % German VAT in it: 19.00 of tax, no shipping rate (free).
PRICE, VAT = 11_900, 1_900


@pytest.fixture
def emulator(gateway_on_emulator):
    return gateway_on_emulator


@pytest.fixture
def us_vendor(vendor_a):
    vendor_a.country = "US"
    vendor_a.save(update_fields=["country"])
    return vendor_a


@pytest.fixture
def order(buyer, us_vendor, emulator):
    order = paid_orders(buyer)((us_vendor, sellable_variant(us_vendor, price=PRICE, stock=5), 1))
    sub = order.sub_orders.get()
    # The premise, written out: the platform owes all of the part's VAT.
    assert (sub.total_amount, sub.tax_amount, sub.platform_tax_amount) == (PRICE, VAT, VAT)
    return order


def _legs(entry: JournalEntry) -> dict[tuple[str, int | None], int]:
    legs: dict[tuple[str, int | None], int] = {}
    for posting in entry.postings.select_related("account"):
        key = (posting.account.code, posting.account.vendor_id)
        legs[key] = legs.get(key, 0) + posting.amount
    return legs


def _tax_payable_total() -> int:
    return sum(Posting.objects.filter(account__code=AccountCode.TAX_PAYABLE).values_list("amount", flat=True))


def _claim(buyer, order):
    sub = order.sub_orders.get()
    return services.claim_open(buyer=buyer, order_id=order.pk, sub_order_id=sub.pk, reason="damaged",
                               description="Broken on arrival", lines={sub.lines.get().pk: 1})


def _refund_entry(claim) -> JournalEntry:
    refund = ClaimRefund.objects.get(claim=claim)
    return JournalEntry.objects.get(kind="refund", reference_id=refund.stripe_refund_id)


def test_a_vendor_accepted_partial_claim_refund_gives_back_the_tax_in_it(buyer, us_vendor, owner_a, order, settings):
    settings.DISPUTES_COMMISSION_ON_REFUND = "kept"
    claim = _claim(buyer, order)
    services.claim_accept(claim_id=claim.pk, vendor=us_vendor, user=owner_a, amount=5_950)
    # Half of the part refunded: half of its 19.00 VAT (9.50) is no longer owed; the vendor bears
    # the other 50.00 (the platform keeps its commission under this policy).
    assert _legs(_refund_entry(claim)) == {
        (AccountCode.TAX_PAYABLE, None): 950,
        (AccountCode.VENDOR_PENDING, us_vendor.pk): 5_000,
        (AccountCode.PLATFORM_CASH, None): -5_950,
    }
    assert _tax_payable_total() == -950
    assert ledger_balanced()


@pytest.mark.parametrize(("liability", "vendor_amount", "legs"), [
    # The platform bears it all: its refund expense is the refund less the tax it no longer owes.
    ("platform", None, {AccountCode.TAX_PAYABLE: 1_900, AccountCode.REFUNDS: 10_000}),
    # Half each: each side's half of the tax comes off what it bears.
    ("split", "5950", {AccountCode.TAX_PAYABLE: 1_900, AccountCode.REFUNDS: 5_000, AccountCode.VENDOR_PENDING: 5_000}),
])
def test_an_arbitrated_claim_refund_takes_the_tax_off_whoever_bears_it(
    buyer, us_vendor, owner_a, admin_user, order, settings, liability, vendor_amount, legs,
):
    settings.DISPUTES_COMMISSION_ON_REFUND = "kept"
    claim = _claim(buyer, order)
    services.claim_reject(claim_id=claim.pk, vendor=us_vendor, user=owner_a, reason="No")
    services.claim_escalate(claim_id=claim.pk, user=buyer)
    services.claim_decide(claim_id=claim.pk, admin=admin_user, outcome="refund_full", liability=liability,
                          vendor_amount=vendor_amount, note="Photos show damage")
    expected = {(code, us_vendor.pk if code == AccountCode.VENDOR_PENDING else None): amount
                for code, amount in legs.items()}
    expected[(AccountCode.PLATFORM_CASH, None)] = -PRICE
    assert _legs(_refund_entry(claim)) == expected
    # Everything refunded: the platform owes none of the part's VAT any more.
    assert _tax_payable_total() == 0
    assert ledger_balanced()


def test_the_vendors_transfer_gives_back_only_its_part_net_of_the_platforms_tax(
    buyer, us_vendor, owner_a, admin_user, order, settings,
):
    settings.DISPUTES_COMMISSION_ON_REFUND = "kept"
    claim = _claim(buyer, order)
    services.claim_reject(claim_id=claim.pk, vendor=us_vendor, user=owner_a, reason="No")
    services.claim_escalate(claim_id=claim.pk, user=buyer)
    services.claim_decide(claim_id=claim.pk, admin=admin_user, outcome="refund_full", liability="split",
                          vendor_amount="5950", note="Half each")
    refund = ClaimRefund.objects.get(claim=claim)
    claim_refund_recover(refund_id=refund.pk)
    reversal = TransferReversal.objects.filter(key=f"claimrefund:{refund.pk}").first()
    # What its ledger account dropped by (59.50 less its 9.50 share of the tax), if a transfer was there.
    assert reversal is not None and reversal.amount == 5_000


def test_a_buyer_cancelling_the_part_gets_the_tax_off_tax_payable_not_off_the_vendor(buyer, us_vendor, order):
    sub = sub_order_cancel_by_buyer(user=buyer, order_id=order.pk, sub_order_id=order.sub_orders.get().pk)
    entry = JournalEntry.objects.get(kind="refund", memo=f"order {order.pk}")
    legs = _legs(entry)
    commission = sub.commission_amount
    assert legs == {
        (AccountCode.TAX_PAYABLE, None): VAT,
        (AccountCode.VENDOR_PENDING, us_vendor.pk): PRICE - commission - VAT,
        (AccountCode.REFUNDS, None): commission,
        (AccountCode.PLATFORM_CASH, None): -PRICE,
    }
    assert _tax_payable_total() == 0
    assert ledger_balanced()
