"""The order factory makes what the product makes: the same rows as checkout, payment on the
emulator and the signed `payment_intent.succeeded` webhook (which service tests no longer wait for)."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict
from django_tenants.utils import schema_context

from catalog.models import StockAdjustment
from fulfillment.models import VendorOrder
from orders.models import Order
from payments.models import PaymentRecord
from payouts.models import JournalEntry
from tests.factories import ChargebackFactory, ClaimFactory, OrderFactory, TransferFactory
from tests.factories.orders import sellable_variant, variant_stock
from tests.support.ledger import ledger_balanced

pytestmark = pytest.mark.django_db

# Fields that differ between any two orders (identity, time, the per-order Stripe ids).
VARYING = {"id", "order", "sub_order", "created_at", "updated_at", "checkout_token", "payment_intent_id",
           "transfer_group", "reserved_until", "paid_at", "vendor_order_id", "vendor_notified_at",
           "order_id", "sub_order_id", "order_line_id", "order_number", "placed_at", "vendor_order"}


def _fields(obj) -> dict:
    return {k: v for k, v in model_to_dict(obj).items() if k not in VARYING}


def _postings(order: Order) -> list[tuple[str, int | None, int]]:
    entry = JournalEntry.objects.get(key=f"payment_captured:order:{order.pk}")
    return sorted((p.account.code, p.account.vendor_id, p.amount) for p in entry.postings.select_related("account"))


def _copies(order: Order) -> list[tuple[dict, list[dict]]]:
    copies = []
    for sub in order.sub_orders.select_related("vendor__store"):
        with schema_context(sub.vendor.store.schema_name):
            copy = VendorOrder.objects.get(sub_order_id=sub.pk)
            copies.append((_fields(copy), [_fields(line) for line in copy.lines.all()]))
    return copies


def test_factory_paid_order_equals_the_webhook_paid_order(shopper, vendor_a, vendor_b, paid_order):
    va = sellable_variant(vendor_a, price=1500, stock=10, tax_category="reduced")
    vb = sellable_variant(vendor_b, price=900, stock=10)
    items = [(vendor_a, va, 2), (vendor_b, vb, 1)]
    real = paid_order(*items, token="through-the-webhook")
    made = OrderFactory(buyer=shopper, items=items, payment="emulator", vendor_copies=True)

    assert made.status == real.status == Order.Status.PAID
    assert _fields(made) == _fields(real)
    assert made.paid_at is not None and made.payment_intent_id.startswith("pi_")
    assert [_fields(s) for s in made.sub_orders.all()] == [_fields(s) for s in real.sub_orders.all()]
    assert [_fields(line) for line in made.lines.all()] == [_fields(line) for line in real.lines.all()]
    assert _postings(made) == _postings(real)
    assert ledger_balanced()
    record, real_record = (PaymentRecord.objects.get(payment_intent_id=o.payment_intent_id) for o in (made, real))
    assert (record.status, record.amount, record.currency) == (real_record.status, real_record.amount,
                                                               real_record.currency)
    assert record.latest_charge.startswith("ch_") and real_record.latest_charge.startswith("ch_")
    # Stock reserved once per order, in the vendor's schema, with its history.
    assert variant_stock(vendor_a, va.pk) == 10 - 2 - 2 and variant_stock(vendor_b, vb.pk) == 10 - 1 - 1
    with schema_context(vendor_a.store.schema_name):
        assert StockAdjustment.objects.filter(note=f"order {made.number} reserved", delta=-2).count() == 1
    assert _copies(made) == _copies(real)
    made.refresh_from_db()
    assert all(s.vendor_order_id and s.vendor_notified_at for s in made.sub_orders.all())


def test_factory_states_transfers_claims_and_chargebacks(buyer, vendor_a, vendor_b):
    va, vb = sellable_variant(vendor_a, price=1000, stock=5), sellable_variant(vendor_b, price=500, stock=5)
    pending = OrderFactory(buyer=buyer, items=[(vendor_a, va, 1)], status=Order.Status.PENDING_PAYMENT)
    assert pending.paid_at is None and not pending.payment_intent_id and variant_stock(vendor_a, va.pk) == 4
    shipped = OrderFactory(buyer=buyer, items=[(vendor_a, va, 2), (vendor_b, vb, 1)],
                           status=Order.Status.PARTIALLY_FULFILLED)
    assert sorted(shipped.sub_orders.values_list("status", flat=True)) == ["paid", "partially_fulfilled"]
    done = OrderFactory(buyer=buyer, items=[(vendor_b, vb, 2)], status=Order.Status.FULFILLED)
    assert done.sub_orders.get().tracking[0]["carrier"] == "DHL"

    sub = shipped.sub_orders.get(vendor=vendor_a)
    transfer = TransferFactory(sub_order=sub)
    assert (transfer.status, transfer.amount, transfer.vendor_id) == ("pending", sub.net_amount, vendor_a.pk)
    with pytest.raises(ValueError, match="not paid"):
        TransferFactory(sub_order=pending.sub_orders.get())
    claim = ClaimFactory(sub_order=sub, status="escalated")
    assert claim.lines.get().quantity == 2 and claim.escalated_by == "buyer"
    transfer.refresh_from_db()
    assert transfer.status == "held"
    chargeback = ChargebackFactory(order=done)
    assert chargeback.amount == done.total_amount
    assert [(s.vendor_id, s.amount) for s in chargeback.shares.all()] == [(vendor_b.pk, done.total_amount)]
    assert ledger_balanced()
