"""Chargebacks through the emulator: opened by the signed webhook, evidence, won and lost,
duplicates and out-of-order events never applied twice, the ledger balanced throughout."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from disputes import services
from disputes.errors import ChargebackClosed, EvidenceDeadlinePassed
from disputes.models import Chargeback
from payouts.ledger.selectors import vendor_balances
from payouts.models import JournalEntry, Transfer
from tests.factories.orders import sellable_variant
from tests.support.ledger import ledger_balanced
from tests.support.stripe import deliver, deliver_events, flush

pytestmark = pytest.mark.django_db

DISPUTE_CARD = "pm_card_createDispute"


def _disputed_order(paid_order, vendor_a, vendor_b):
    return paid_order((vendor_a, sellable_variant(vendor_a, price=3000), 1),
                      (vendor_b, sellable_variant(vendor_b, price=1000), 1), card=DISPUTE_CARD)


def _open_case(emulator, webhooks, order):
    deliver_events(emulator, webhooks, "charge.dispute.created", object_id=order.payment_intent_id,
                   key="payment_intent")
    return Chargeback.objects.get(payment_intent_id=order.payment_intent_id)


def test_dispute_created_opens_case_holds_funds_and_tells_vendors(
    paid_order, vendor_a, vendor_b, emulator, webhooks, mailoutbox, django_capture_on_commit_callbacks,
):
    order = _disputed_order(paid_order, vendor_a, vendor_b)
    before_a = vendor_balances(vendor_id=vendor_a.pk, currency=order.currency)
    with django_capture_on_commit_callbacks(execute=True):
        chargeback = _open_case(emulator, webhooks, order)
    assert chargeback.order == order and chargeback.amount == order.total_amount
    assert chargeback.fee_amount == 1500
    assert chargeback.due_by is not None and chargeback.due_by > timezone.now()
    shares = {s.vendor_id: s.amount for s in chargeback.shares.all()}
    # The whole order (49.80) is disputed; each vendor answers for its sub-order with its shipping:
    # A 30.00 + 4.90 = 34.90, B 10.00 + 4.90 = 14.90 (a split that only sums right is not enough).
    assert order.total_amount == 4980
    assert shares == {vendor_a.pk: 3490, vendor_b.pk: 1490}
    after_a = vendor_balances(vendor_id=vendor_a.pk, currency=order.currency)
    assert after_a["reserved"] - before_a["reserved"] == shares[vendor_a.pk]
    held = Transfer.objects.filter(order=order)
    assert held.count() == 2 and all(t.status == "held" for t in held)
    owner_emails = {vendor_a.memberships.get(role="owner").user.email, vendor_b.memberships.get(role="owner").user.email}
    assert owner_emails <= {to for m in mailoutbox for to in m.to}
    # the amount reads as money, not minor units: "30.00 EUR", never "3000 EUR"
    from common.money import format_money_localized

    mail_a = next(m for m in mailoutbox if m.subject.startswith("A card dispute")
                  and vendor_a.memberships.get(role="owner").user.email in m.to)
    assert format_money_localized(shares[vendor_a.pk], "EUR") in mail_a.body
    assert f"{shares[vendor_a.pk]} EUR" not in mail_a.body and "+00:00" not in mail_a.body
    assert order.number in mail_a.subject
    assert f"{vendor_a.host}" in mail_a.body and f"/dashboard/chargebacks/{chargeback.pk}/" in mail_a.body
    assert ledger_balanced()


def test_duplicate_created_event_applies_once(paid_order, vendor_a, vendor_b, emulator, webhooks):
    order = _disputed_order(paid_order, vendor_a, vendor_b)
    deliveries = deliver_events(emulator, webhooks, "charge.dispute.created", object_id=order.payment_intent_id,
                                key="payment_intent")
    from tests.support.stripe import resign

    deliver(resign(deliveries[0]))
    chargeback = Chargeback.objects.get()
    assert JournalEntry.objects.filter(kind="chargeback_opened", reference_id=chargeback.stripe_dispute_id).count() == 1
    # The same state applied again directly (a replay) posts nothing either.
    services.chargeback_apply(dispute=deliveries[0].event["data"]["object"], event_created=deliveries[0].event["created"])
    assert JournalEntry.objects.filter(kind="chargeback_opened").count() == 1


def test_evidence_then_won(paid_order, vendor_a, vendor_b, owner_a, admin_user, emulator, webhooks):
    order = _disputed_order(paid_order, vendor_a, vendor_b)
    before = vendor_balances(vendor_id=vendor_a.pk, currency=order.currency)
    chargeback = _open_case(emulator, webhooks, order)
    services.chargeback_evidence_add(chargeback_id=chargeback.pk, vendor=vendor_a, user=owner_a,
                                     kind="tracking", text="DHL 123 delivered, signed by buyer")
    services.chargeback_evidence_submit(
        chargeback_id=chargeback.pk, admin=admin_user,
        fields={"uncategorized_text": "winning_evidence: delivered and signed", "shipping_tracking_number": "123"},
    )
    deliver_events(emulator, webhooks, "charge.dispute.closed", object_id=chargeback.stripe_dispute_id)
    chargeback.refresh_from_db()
    assert chargeback.outcome == "won" and chargeback.evidence_submitted_by == admin_user
    after = vendor_balances(vendor_id=vendor_a.pk, currency=order.currency)
    assert after == before  # reserve back in pending
    assert all(t.status != "held" for t in Transfer.objects.filter(order=order))
    with pytest.raises(ChargebackClosed):
        services.chargeback_evidence_add(chargeback_id=chargeback.pk, vendor=vendor_a, user=owner_a,
                                         kind="note", text="late")
    assert ledger_balanced()


def test_lost_recovers_amount_and_fee_from_vendors(paid_order, vendor_a, vendor_b, admin_user, emulator, webhooks,
                                                   django_capture_on_commit_callbacks):
    order = _disputed_order(paid_order, vendor_a, vendor_b)
    before = vendor_balances(vendor_id=vendor_a.pk, currency=order.currency)
    before_b = vendor_balances(vendor_id=vendor_b.pk, currency=order.currency)
    chargeback = _open_case(emulator, webhooks, order)
    share_a = chargeback.shares.get(vendor=vendor_a).amount
    services.chargeback_evidence_submit(chargeback_id=chargeback.pk, admin=admin_user,
                                        fields={"uncategorized_text": "losing_evidence"})
    with django_capture_on_commit_callbacks(execute=False):
        deliver_events(emulator, webhooks, "charge.dispute.closed", object_id=chargeback.stripe_dispute_id)
    chargeback.refresh_from_db()
    assert chargeback.outcome == "lost"
    after = vendor_balances(vendor_id=vendor_a.pk, currency=order.currency)
    # The 15.00 dispute fee in proportion to the shares 34.90 : 14.90: A 10.512… → 10.51 and
    # B 4.487… → 4.49 (the cent left over goes to the larger fraction).
    assert share_a == 3490
    fee_a = 1051
    assert before["pending"] - after["pending"] == share_a + fee_a
    assert before_b["pending"] - vendor_balances(vendor_id=vendor_b.pk, currency=order.currency)["pending"] \
        == 1490 + 449
    assert after["reserved"] == before["reserved"]
    # Recovery (the task's body): the not-yet-sent transfer shrinks by what it can cover; holds lifted.
    services.chargeback_recover(chargeback_id=chargeback.pk)
    transfer = Transfer.objects.get(sub_order__order=order, vendor=vendor_a)
    assert transfer.amount_reversed == min(share_a + fee_a, transfer.amount)
    assert transfer.status != "held"
    services.chargeback_recover(chargeback_id=chargeback.pk)  # a retried task takes nothing more
    transfer.refresh_from_db()
    assert transfer.amount_reversed == min(share_a + fee_a, transfer.amount)
    assert JournalEntry.objects.filter(kind="chargeback_lost").count() == 1
    assert ledger_balanced()


def test_closed_before_created_and_stale_update_after_close(paid_order, vendor_a, vendor_b, admin_user,
                                                          emulator, webhooks):
    _disputed_order(paid_order, vendor_a, vendor_b)
    flush(emulator)
    from tests.support.waiting import wait_until

    created = wait_until(lambda: webhooks.of_type("charge.dispute.created"))[0]
    dispute_id = created.event["data"]["object"]["id"]
    from payments import gateway

    gateway.dispute_update(dispute_id=dispute_id, evidence={"uncategorized_text": "winning_evidence"}, submit=True)
    flush(emulator)
    closed = wait_until(lambda: webhooks.of_type("charge.dispute.closed"))[0]
    deliver(closed)  # the close arrives first: the case is opened and closed from it
    chargeback = Chargeback.objects.get(stripe_dispute_id=dispute_id)
    assert chargeback.outcome == "won"
    deliver(created)  # the late "created" changes nothing
    stale = dict(created.event["data"]["object"], status="needs_response")
    services.chargeback_apply(dispute=stale, event_created=created.event["created"])
    chargeback.refresh_from_db()
    assert chargeback.outcome == "won" and chargeback.stripe_status == "won"
    assert JournalEntry.objects.filter(kind="chargeback_opened").count() == 1
    assert JournalEntry.objects.filter(kind="chargeback_won").count() == 1
    assert ledger_balanced()


def test_evidence_after_deadline_refused(paid_order, vendor_a, vendor_b, owner_a, owner_b, admin_user,
                                         emulator, webhooks):
    order = _disputed_order(paid_order, vendor_a, vendor_b)
    chargeback = _open_case(emulator, webhooks, order)
    late = chargeback.due_by + timedelta(minutes=1)
    with pytest.raises(EvidenceDeadlinePassed):
        services.chargeback_evidence_add(chargeback_id=chargeback.pk, vendor=vendor_a, user=owner_a,
                                         kind="note", text="too late", now=late)
    with pytest.raises(EvidenceDeadlinePassed):
        services.chargeback_evidence_submit(chargeback_id=chargeback.pk, admin=admin_user,
                                            fields={"uncategorized_text": "x"}, now=late)
    assert not chargeback.evidence.exists()


def test_platform_liability_keeps_vendors_whole(paid_order, vendor_a, vendor_b, admin_user, emulator, webhooks,
                                                settings, django_capture_on_commit_callbacks):
    settings.DISPUTES_CHARGEBACK_LIABILITY = "platform"
    order = _disputed_order(paid_order, vendor_a, vendor_b)
    before = vendor_balances(vendor_id=vendor_a.pk, currency=order.currency)
    chargeback = _open_case(emulator, webhooks, order)
    services.chargeback_evidence_submit(chargeback_id=chargeback.pk, admin=admin_user,
                                        fields={"uncategorized_text": "losing_evidence"})
    with django_capture_on_commit_callbacks(execute=False):
        deliver_events(emulator, webhooks, "charge.dispute.closed", object_id=chargeback.stripe_dispute_id)
    assert vendor_balances(vendor_id=vendor_a.pk, currency=order.currency) == before
    assert ledger_balanced()


def test_dispute_before_payment_event_is_refused_for_retry(buyer, vendor_a):
    from disputes.errors import ChargebackOrderNotPaidYet
    from orders import services as order_services
    from tests.support.addresses import ADDRESS_DE

    cart = order_services.cart_for(user=buyer, create=True)
    variant = sellable_variant(vendor_a, price=1000)
    order_services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=variant.pk, quantity=1)
    order = order_services.checkout_submit(user=buyer, address=ADDRESS_DE, shipping_choice={}, checkout_token="np")
    order.payment_intent_id = "pi_not_yet"
    order.save(update_fields=["payment_intent_id"])
    dispute = {"id": "dp_early", "object": "dispute", "amount": order.total_amount, "currency": "eur",
               "payment_intent": "pi_not_yet", "charge": "ch_x", "status": "needs_response",
               "evidence_details": {"due_by": 2_000_000_000}, "balance_transactions": []}
    with pytest.raises(ChargebackOrderNotPaidYet):
        services.chargeback_apply(dispute=dispute, event_created=1)
    assert not Chargeback.objects.exists()
    assert not JournalEntry.objects.filter(kind="chargeback_opened").exists()


def test_a_partial_dispute_is_split_by_the_vendors_parts_to_the_cent(vendor_a, vendor_b):
    """10.00 of a 49.80 order disputed: A's part 34.90 gives 7.008…, B's 14.90 gives 2.991…; both
    rounded down leave one cent, which goes to the larger fraction (A)."""
    from tests.factories import OrderFactory

    order = OrderFactory(items=[(vendor_a, sellable_variant(vendor_a, price=3000), 1),
                                (vendor_b, sellable_variant(vendor_b, price=1000), 1)])
    assert {s.vendor_id: s.total_amount for s in order.sub_orders.all()} == {vendor_a.pk: 3490, vendor_b.pk: 1490}
    order.payment_intent_id = "pi_partial_dispute"
    order.save(update_fields=["payment_intent_id"])
    dispute = {"id": "dp_partial", "object": "dispute", "amount": 1000, "currency": "eur",
               "payment_intent": "pi_partial_dispute", "charge": "ch_partial", "status": "needs_response",
               "evidence_details": {"due_by": 2_000_000_000}, "balance_transactions": []}

    chargeback = services.chargeback_apply(dispute=dispute, event_created=1)

    assert {s.vendor_id: s.amount for s in chargeback.shares.all()} == {vendor_a.pk: 701, vendor_b.pk: 299}
    assert ledger_balanced()
