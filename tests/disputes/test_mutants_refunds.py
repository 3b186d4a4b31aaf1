"""Claim refunds to the minor unit: the refunds' keys in sequence, each refund's exact ledger legs,
which task is queued to take the vendor's part back (and that none is when the platform bears it),
every refused amount leaving everything as it was, and recovery from the vendor's transfer down to
one cent. Written for the survivors of `make mutation MODULES=refunds` (docs/mutation.md)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import F

from disputes import services
from disputes.errors import OverRefund
from disputes.models import Claim, ClaimRefund
from disputes.services.refunds import claim_refund_issue, claim_refund_recover
from orders.models import OrderLine, SubOrder
from payouts.models import AccountCode, JournalEntry, Transfer, TransferReversal
from tests.factories.orders import paid_orders, sellable_variant
from tests.support.ledger import ledger_balanced
from tests.support.queued import queued_tasks
from tests.support.state import rows

pytestmark = pytest.mark.django_db

RECOVER = "disputes.tasks.claim_refund_recover"


@pytest.fixture
def emulator(gateway_on_emulator):
    return gateway_on_emulator


@pytest.fixture
def paid_order(buyer, emulator):
    return paid_orders(buyer)


@pytest.fixture(autouse=True)
def _commission_refunded(settings):
    settings.DISPUTES_COMMISSION_ON_REFUND = "refunded"


def _claim(buyer, order, vendor, units=1) -> Claim:
    sub = order.sub_orders.get(vendor=vendor)
    return services.claim_open(buyer=buyer, order_id=order.pk, sub_order_id=sub.pk, reason="damaged",
                               description="Broken on arrival", lines={sub.lines.get().pk: units})


def _issue(claim, amount, *, vendor_amount=None, liability="vendor", actor=None):
    """claim_refund_issue as the services call it (claim locked, inside their transaction)."""
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        return claim_refund_issue(claim=locked, amount=amount, liability=liability, actor=actor,
                                  vendor_amount=amount if vendor_amount is None else vendor_amount)


def _legs(refund: ClaimRefund) -> dict[tuple[str, int | None], int]:
    entry = JournalEntry.objects.get(kind="refund", reference_id=refund.stripe_refund_id)
    legs: dict[tuple[str, int | None], int] = {}
    for posting in entry.postings.select_related("account"):
        key = (posting.account.code, posting.account.vendor_id)
        legs[key] = legs.get(key, 0) + posting.amount
    return legs


def _money_state(order):
    return rows(ClaimRefund, OrderLine.objects.filter(sub_order__order=order),
                SubOrder.objects.filter(order=order), Claim, JournalEntry, TransferReversal)


def test_refunds_of_a_claim_are_keyed_in_sequence_post_exact_legs_and_queue_the_recovery(
    buyer, vendor_a, owner_a, paid_order, django_capture_on_commit_callbacks,
):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=4000), 1))
    line = OrderLine.objects.get(sub_order__order=order)
    # The premise, written out: a 10 % commission on the 40.00 line.
    assert (line.line_amount, line.commission_amount) == (4000, 400)
    claim = _claim(buyer, order, vendor_a)

    with django_capture_on_commit_callbacks(execute=False) as first_callbacks:
        first = _issue(claim, 1, actor=owner_a)  # one cent is a refund like any other
    with django_capture_on_commit_callbacks(execute=False) as second_callbacks:
        second = _issue(claim, 999, actor=owner_a)

    assert (first.key, second.key) == (f"claim:{claim.pk}:refund:1", f"claim:{claim.pk}:refund:2")
    # 0.01: no commission in one cent, the vendor's payable drops by it all.
    assert (first.amount, first.platform_amount, first.commission_refunded) == (1, 0, 0)
    assert _legs(first) == {(AccountCode.VENDOR_PENDING, vendor_a.pk): 1, (AccountCode.PLATFORM_CASH, None): -1}
    # 9.99: its commission 400 * 999 // 4000 = 99 is the platform's to give back, the vendor bears 9.00.
    assert (second.amount, second.platform_amount, second.commission_refunded) == (999, 0, 99)
    assert _legs(second) == {
        (AccountCode.VENDOR_PENDING, vendor_a.pk): 900,
        (AccountCode.REFUNDS, None): 99,
        (AccountCode.PLATFORM_CASH, None): -999,
    }
    line.refresh_from_db()
    claim.refresh_from_db()
    assert line.refunded_amount == claim.refunded_amount == 1000
    assert SubOrder.objects.get(order=order).refunded_amount == 1000
    # Each refund the vendor bears queues the task that takes its part back, for that refund.
    assert queued_tasks(first_callbacks) == [(RECOVER, (first.pk,), "public")]
    assert queued_tasks(second_callbacks) == [(RECOVER, (second.pk,), "public")]
    assert ledger_balanced()

    # One cent owed back, one cent taken off the transfer (not yet sent: it is sent smaller).
    transfer = Transfer.objects.get(sub_order__order=order)
    before = transfer.amount_reversed
    assert claim_refund_recover(refund_id=first.pk) is True
    transfer.refresh_from_db()
    assert transfer.amount_reversed - before == 1
    assert TransferReversal.objects.get(key=f"claimrefund:{first.pk}").amount == 1


def test_a_refund_the_platform_bears_is_its_expense_and_takes_nothing_from_the_vendor(
    buyer, vendor_a, admin_user, paid_order, django_capture_on_commit_callbacks,
):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=4000), 1))
    claim = _claim(buyer, order, vendor_a)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        refund = _issue(claim, 1000, vendor_amount=0, liability="platform", actor=admin_user)
    assert (refund.platform_amount, refund.vendor_amount, refund.commission_refunded) == (1000, 0, 0)
    assert _legs(refund) == {(AccountCode.REFUNDS, None): 1000, (AccountCode.PLATFORM_CASH, None): -1000}
    assert queued_tasks(callbacks) == []
    # Nothing to take back from the vendor, should the task run anyway.
    assert claim_refund_recover(refund_id=refund.pk) is False
    assert not TransferReversal.objects.exists()


def test_a_split_refund_takes_back_exactly_the_vendors_part(
    buyer, vendor_a, admin_user, paid_order, django_capture_on_commit_callbacks,
):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=4000), 1))
    claim = _claim(buyer, order, vendor_a)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        refund = _issue(claim, 2000, vendor_amount=1200, liability="split", actor=admin_user)
    # Commission in 20.00: 200; the vendor's 12.00 of it gets 200 * 1200 // 2000 = 120 back.
    assert (refund.platform_amount, refund.commission_refunded) == (800, 120)
    assert _legs(refund) == {
        (AccountCode.VENDOR_PENDING, vendor_a.pk): 1080,
        (AccountCode.REFUNDS, None): 920,
        (AccountCode.PLATFORM_CASH, None): -2000,
    }
    assert queued_tasks(callbacks) == [(RECOVER, (refund.pk,), "public")]
    assert claim_refund_recover(refund_id=refund.pk) is True
    assert TransferReversal.objects.get(key=f"claimrefund:{refund.pk}").amount == 1080


@pytest.mark.parametrize("amount", [0, -1])
def test_a_refund_of_nothing_or_less_is_refused_and_changes_nothing(buyer, vendor_a, owner_a, paid_order, amount):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=4000), 1))
    claim = _claim(buyer, order, vendor_a)
    before = _money_state(order)
    with pytest.raises(OverRefund):
        _issue(claim, amount, actor=owner_a)
    assert _money_state(order) == before


def test_more_than_the_claimed_units_is_refused_though_the_part_could_pay_it(buyer, vendor_a, owner_a, paid_order):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=2000, stock=5), 2))
    claim = _claim(buyer, order, vendor_a, units=1)  # one of two units: at most 20.00 of 40.00
    before = _money_state(order)
    with pytest.raises(OverRefund) as raised:
        _issue(claim, 2001, actor=owner_a)
    assert raised.value.message == "At most 20.00 EUR can still be refunded on this claim."
    assert _money_state(order) == before


def test_more_than_is_left_of_the_part_is_refused_though_the_claim_allows_it(buyer, vendor_a, owner_a, paid_order):
    # No vendor copy: the part's refunded amount is not synced from one.
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=4000), 1), copies=False)
    claim = _claim(buyer, order, vendor_a)
    # All but 5.00 of the part was already given back another way (the claim's line does not show it).
    SubOrder.objects.filter(order=order).update(refunded_amount=F("total_amount") - 500)
    before = _money_state(order)
    with pytest.raises(OverRefund):
        _issue(claim, 501, actor=owner_a)
    assert _money_state(order) == before
    assert _issue(claim, 500, actor=owner_a).amount == 500


def test_a_fully_refunded_claim_says_nothing_is_left(buyer, vendor_a, owner_a, paid_order):
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=4000), 1))
    claim = _claim(buyer, order, vendor_a)
    _issue(claim, 4000, actor=owner_a)
    before = _money_state(order)
    with pytest.raises(OverRefund) as raised:
        _issue(claim, 1, actor=owner_a)
    assert raised.value.message == "At most 0.00 EUR can still be refunded on this claim."
    assert _money_state(order) == before


def test_recovery_stops_when_there_is_nothing_to_take_back(buyer, vendor_a, owner_a, paid_order):
    assert claim_refund_recover(refund_id=987654321) is False  # no such refund
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=4000), 1))
    claim = _claim(buyer, order, vendor_a)
    refund = _issue(claim, 1000, actor=owner_a)
    # The whole transfer was taken back already: what the refund owes stays owed.
    Transfer.objects.filter(sub_order__order=order).update(amount_reversed=F("amount"))
    assert claim_refund_recover(refund_id=refund.pk) is False
    # No transfer at all: the same.
    Transfer.objects.filter(sub_order__order=order).delete()
    assert claim_refund_recover(refund_id=refund.pk) is False
    assert not TransferReversal.objects.exists()


def test_with_deemed_supplier_tax_each_side_bears_its_share_of_the_tax_and_the_commission(
    buyer, vendor_a, owner_a, paid_order, django_capture_on_commit_callbacks,
):
    """A vendor outside the EU selling in Germany: the platform owes the 19 % VAT. The vendor bears
    the refund and the platform gives back its commission; the VAT no longer owed comes off each
    side in proportion to what it bears."""
    vendor_a.country = "US"
    vendor_a.save(update_fields=["country"])
    order = paid_order((vendor_a, sellable_variant(vendor_a, price=11_900, stock=5), 1))
    sub = order.sub_orders.get()
    line = sub.lines.get()
    assert (sub.total_amount, sub.platform_tax_amount, line.commission_amount) == (11_900, 1_900, 1_190)
    claim = _claim(buyer, order, vendor_a)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        refund = _issue(claim, 11_900, actor=owner_a)
    # The vendor's side: 11,900 less the 1,190 commission given back = 10,710, nine tenths of the
    # refund, so nine tenths of the 1,900 VAT (1,710) is in it: 9,000 off its payable. The
    # platform's side: 1,190 of commission less its tenth of the VAT (190) = 1,000.
    assert refund.commission_refunded == 1_190
    assert _legs(refund) == {
        (AccountCode.TAX_PAYABLE, None): 1_900,
        (AccountCode.VENDOR_PENDING, vendor_a.pk): 9_000,
        (AccountCode.REFUNDS, None): 1_000,
        (AccountCode.PLATFORM_CASH, None): -11_900,
    }
    assert queued_tasks(callbacks) == [(RECOVER, (refund.pk,), "public")]
    # 9,000 is owed back, but the transfer holds only the sale's 8,810 (11,900 less the 1,190
    # commission and the 1,900 VAT): all of it is taken back, the other 190 stays owed.
    transfer = Transfer.objects.get(sub_order=sub)
    assert transfer.amount == 8_810
    assert claim_refund_recover(refund_id=refund.pk) is True
    assert TransferReversal.objects.get(key=f"claimrefund:{refund.pk}").amount == 8_810
    assert ledger_balanced()
