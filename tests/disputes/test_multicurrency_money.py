"""A buyer paying in EUR for a EUR vendor's and a GBP vendor's items: one charge in EUR, the rate
snapshotted on the order, the GBP vendor owed and paid in GBP, a partial refund and a lost
chargeback converted with the snapshot, and every journal entry balanced per currency."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from common.money import allocate, convert
from disputes import services
from disputes.models import Chargeback, ClaimRefund
from orders.currency import RateSet, rates_store
from orders.models import OrderExchangeRate
from payments import gateway
from payouts import transfers
from payouts.ledger.selectors import balances_by_code, vendor_balances
from payouts.models import AccountCode, JournalEntry, Transfer
from tests.factories.orders import sellable_variant, vendor_currency_set
from tests.support.ledger import ledger_balanced
from tests.support.stripe import deliver_events, emulator_post

pytestmark = pytest.mark.django_db

GBP_PER_EUR = Decimal("0.83125")
EUR_PER_GBP = Decimal("1.2030075188")  # 1 / 0.83125, kept to ten places


@pytest.fixture
def rates_today():
    rates_store(rate_sets=[RateSet("ecb", timezone.localdate(), "EUR", {"GBP": GBP_PER_EUR, "USD": Decimal("1.05")})])


@pytest.fixture
def two_currency_items(vendor_a, vendor_b, connected, rates_today):
    return ((vendor_a, sellable_variant(vendor_a, price=3000), 1),
            (vendor_currency_set(vendor_b, "GBP"), sellable_variant(vendor_b, price=1000, currency="GBP"), 2))


def _fx(currency: str) -> int:
    return balances_by_code(currency=currency).get(AccountCode.FX_EXCHANGE, 0)


def test_one_charge_in_eur_and_the_gbp_vendor_is_owed_and_paid_in_gbp(paid_order, two_currency_items, vendor_b,
                                                                      emulator):
    order = paid_order(*two_currency_items)

    assert order.currency == "EUR" and order.is_paid
    snapshot = OrderExchangeRate.objects.get(order=order)
    assert (snapshot.source_currency, snapshot.target_currency, snapshot.rate, snapshot.inverse_rate) == (
        "GBP", "EUR", EUR_PER_GBP, GBP_PER_EUR)
    assert snapshot.rate_date == timezone.localdate() and snapshot.rate_source == "ecb"
    sub_b = order.sub_orders.get(vendor=vendor_b)
    # £10.00 at 1.2030075188 = 12.030075… EUR → 12.03 EUR a unit, charged in EUR.
    assert sub_b.lines.get().unit_price_amount == 1203
    assert sub_b.settlement_currency == "GBP"
    assert sub_b.settlement_net_amount == convert(sub_b.net_amount, source="EUR", target="GBP", rate=GBP_PER_EUR)
    intent = gateway.payment_intent_retrieve_raw(payment_intent_id=order.payment_intent_id)
    assert (intent["amount"], intent["currency"]) == (order.total_amount, "eur")
    # The GBP vendor's payable is in GBP only; the exchange account holds the other side.
    assert vendor_balances(vendor_id=vendor_b.pk, currency="GBP")["pending"] == sub_b.settlement_net_amount
    assert vendor_balances(vendor_id=vendor_b.pk, currency="EUR")["pending"] == 0
    assert (_fx("EUR"), _fx("GBP")) == (-sub_b.net_amount, sub_b.settlement_net_amount)
    assert JournalEntry.objects.filter(kind="fx_conversion").count() == 1
    assert ledger_balanced()

    # The GBP transfer is paid from the platform's GBP balance (a EUR charge funds EUR transfers only).
    emulator_post(emulator, "/_emulator/balance/adjust", {"amount": 100_000, "currency": "gbp"})
    assert transfers.transfers_release_due()["sent"] == 2
    transfer_b = Transfer.objects.get(order=order, vendor=vendor_b)
    assert (transfer_b.currency, transfer_b.amount, transfer_b.status) == ("GBP", sub_b.settlement_net_amount,
                                                                           "transferred")
    remote = gateway.transfer_retrieve(transfer_id=transfer_b.stripe_transfer_id)
    assert (remote.amount, remote.currency.lower()) == (sub_b.settlement_net_amount, "gbp")
    assert not remote.source_transaction
    assert vendor_balances(vendor_id=vendor_b.pk, currency="GBP")["pending"] == 0
    assert ledger_balanced()


def test_a_partial_refund_is_taken_back_in_gbp_at_the_snapshot(paid_order, two_currency_items, buyer, vendor_b,
                                                               owner_b, emulator):
    order = paid_order(*two_currency_items)
    emulator_post(emulator, "/_emulator/balance/adjust", {"amount": 100_000, "currency": "gbp"})
    transfers.transfers_release_due()
    sub_b = order.sub_orders.get(vendor=vendor_b)
    claim = services.claim_open(buyer=buyer, order_id=order.pk, sub_order_id=sub_b.pk, reason="not_received",
                                description="Nothing has come yet", lines={sub_b.lines.get().pk: 1})

    services.claim_accept(claim_id=claim.pk, vendor=vendor_b, user=owner_b, amount=700)
    refund = ClaimRefund.objects.get(claim=claim)
    assert (refund.amount, refund.currency) == (700, "EUR")
    assert services.claim_refund_recover(refund_id=refund.pk)

    transfer_b = Transfer.objects.get(order=order, vendor=vendor_b)
    vendor_part = refund.amount - refund.platform_amount - refund.commission_refunded
    taken = convert(vendor_part, source="EUR", target="GBP", rate=GBP_PER_EUR)
    assert transfer_b.amount_reversed == taken > 0
    # The vendor's EUR debt from the refund became a GBP one, then its transfer reversal settled it.
    assert vendor_balances(vendor_id=vendor_b.pk, currency="EUR")["pending"] == 0
    assert vendor_balances(vendor_id=vendor_b.pk, currency="GBP")["pending"] == 0
    assert (_fx("EUR"), _fx("GBP")) == (-(sub_b.net_amount - vendor_part), sub_b.settlement_net_amount - taken)
    assert ledger_balanced()


def test_a_lost_chargeback_is_recovered_in_gbp_and_the_ledger_balances(paid_order, two_currency_items, admin_user,
                                                                       vendor_b, emulator, webhooks):
    order = paid_order(*two_currency_items, card="pm_card_createDispute")
    deliver_events(emulator, webhooks, "charge.dispute.created", object_id=order.payment_intent_id,
                   key="payment_intent")
    chargeback = Chargeback.objects.get(payment_intent_id=order.payment_intent_id)
    assert chargeback.currency == "EUR"
    services.chargeback_evidence_submit(chargeback_id=chargeback.pk, admin=admin_user,
                                        fields={"uncategorized_text": "losing_evidence"})
    deliver_events(emulator, webhooks, "charge.dispute.closed", object_id=chargeback.stripe_dispute_id)
    chargeback.refresh_from_db()
    assert chargeback.outcome == "lost"

    services.chargeback_recover(chargeback_id=chargeback.pk)

    sub_b = order.sub_orders.get(vendor=vendor_b)
    transfer_b = Transfer.objects.get(order=order, vendor=vendor_b)
    shares = list(chargeback.shares.all())
    fee_b = dict(zip([s.vendor_id for s in shares], allocate(chargeback.fee_amount, [s.amount for s in shares]),
                     strict=True))[vendor_b.pk]
    owed = -vendor_balances(vendor_id=vendor_b.pk, currency="EUR")["pending"]
    # Not sent yet: the GBP transfer is taken whole (the share and fee are more than it holds); the
    # EUR its conversion covers is no longer owed, the rest stays the vendor's debt in EUR.
    assert transfer_b.currency == "GBP"
    assert transfer_b.amount_reversed == transfer_b.amount == sub_b.settlement_net_amount
    covered = convert(transfer_b.amount_reversed, source="GBP", target="EUR", rate=EUR_PER_GBP)
    assert owed == chargeback.shares.get(vendor=vendor_b).recovered_amount + fee_b - covered > 0
    assert vendor_balances(vendor_id=vendor_b.pk, currency="GBP")["pending"] == 0
    assert JournalEntry.objects.filter(kind="fx_conversion").count() == 2
    assert ledger_balanced()
