"""A lost chargeback of a sale where the platform owes the VAT as deemed supplier (a vendor
established outside the EU selling to a consumer in Germany): the buyer keeps the money, so the
tax in the disputed part is no longer owed and comes off `tax_payable` in the balanced
`chargeback_lost` entry; a liable vendor gets that tax back (it never had it), otherwise the
platform's dispute loss is smaller by it (docs/adr/0088)."""

from __future__ import annotations

import pytest

from disputes import services
from payouts.models import AccountCode, JournalEntry, Posting
from tests.factories.orders import paid_orders, sellable_variant
from tests.support.ledger import ledger_balanced

pytestmark = pytest.mark.django_db

PRICE, VAT = 11_900, 1_900  # 119.00 EUR with 19 % German VAT in it, free shipping


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
    assert order.sub_orders.get().platform_tax_amount == VAT
    return order


def _dispute(order, status: str, amount: int = PRICE) -> dict:
    return {"id": f"dp_deemed_{order.pk}", "payment_intent": order.payment_intent_id, "charge": "ch_x",
            "amount": amount, "currency": "eur", "status": status, "reason": "fraudulent",
            "balance_transactions": [{"amount": -amount, "fee": 1500}]}


def _lost_legs(order) -> dict[tuple[str, int | None], int]:
    entry = JournalEntry.objects.get(kind="chargeback_lost", reference_id=f"dp_deemed_{order.pk}")
    legs: dict[tuple[str, int | None], int] = {}
    for posting in entry.postings.select_related("account"):
        key = (posting.account.code, posting.account.vendor_id)
        legs[key] = legs.get(key, 0) + posting.amount
    return legs


def _tax_payable() -> int:
    return sum(Posting.objects.filter(account__code=AccountCode.TAX_PAYABLE).values_list("amount", flat=True))


def test_lost_with_the_vendor_liable_gives_the_tax_back_to_the_vendor(order, us_vendor, settings):
    settings.DISPUTES_CHARGEBACK_LIABILITY = "vendor"
    assert _tax_payable() == -VAT
    services.chargeback_apply(dispute=_dispute(order, "needs_response"), event_created=1)
    services.chargeback_apply(dispute=_dispute(order, "lost"), event_created=2)
    assert _lost_legs(order) == {
        (AccountCode.DISPUTED_FUNDS, None): -PRICE,
        (AccountCode.VENDOR_DISPUTE_RESERVE, us_vendor.pk): PRICE,
        (AccountCode.TAX_PAYABLE, None): VAT,
        (AccountCode.VENDOR_PENDING, us_vendor.pk): -VAT,
    }
    assert _tax_payable() == 0
    assert ledger_balanced()


def test_lost_with_the_platform_liable_shrinks_its_loss_by_the_tax(order, settings):
    settings.DISPUTES_CHARGEBACK_LIABILITY = "platform"
    services.chargeback_apply(dispute=_dispute(order, "needs_response"), event_created=1)
    services.chargeback_apply(dispute=_dispute(order, "lost"), event_created=2)
    legs = _lost_legs(order)
    assert legs[(AccountCode.TAX_PAYABLE, None)] == VAT
    assert legs[(AccountCode.DISPUTE_LOSSES, None)] == PRICE - VAT
    assert _tax_payable() == 0
    # A replayed "lost" posts nothing more.
    services.chargeback_apply(dispute=_dispute(order, "lost"), event_created=3)
    assert JournalEntry.objects.filter(kind="chargeback_lost").count() == 1
    assert ledger_balanced()


def test_a_won_chargeback_keeps_the_tax_owed(order, settings):
    settings.DISPUTES_CHARGEBACK_LIABILITY = "vendor"
    services.chargeback_apply(dispute=_dispute(order, "needs_response"), event_created=1)
    services.chargeback_apply(dispute=_dispute(order, "won"), event_created=2)
    assert _tax_payable() == -VAT
    assert ledger_balanced()
