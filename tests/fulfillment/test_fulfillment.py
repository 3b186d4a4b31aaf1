"""The vendor's copy of a paid order, shipments (partial), cancelled lines refunded, sync to buyer."""

from __future__ import annotations

import json
import urllib.request

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from fulfillment import services
from fulfillment.models import VendorOrder
from fulfillment.services import InvalidCancellation, InvalidShipment, refund_for_units
from fulfillment.tasks import vendor_order_copy
from orders.models import Order, SubOrder
from orders.services import sub_order_sync
from tests.factories.orders import paid_orders, sellable_variant, variant_stock

pytestmark = pytest.mark.django_db


# A paid order from the factory (no webhook round trip); its PaymentIntent is real on the session's
# emulator, which the refunds and transfers under test go through.
@pytest.fixture
def emulator(gateway_on_emulator):
    return gateway_on_emulator


@pytest.fixture
def paid_order(shopper, emulator):
    return paid_orders(shopper)


def test_paid_order_is_copied_into_each_vendor_schema_once_and_vendors_are_notified(
    paid_order, vendor_a, vendor_b, in_schema, django_capture_on_commit_callbacks
):
    va = sellable_variant(vendor_a, price=1000, stock=5)
    vb = sellable_variant(vendor_b, price=2000, stock=5)
    with django_capture_on_commit_callbacks(execute=True):
        order = paid_order((vendor_a, va, 2), (vendor_b, vb, 1))
    sub_a = order.sub_orders.get(vendor=vendor_a)
    vendor_order_copy(sub_a.pk)  # a redelivered task
    with in_schema(vendor_a):
        copy = VendorOrder.objects.get()
        assert copy.sub_order_id == sub_a.pk and copy.total_amount == sub_a.total_amount
        assert [(line.sku, line.quantity) for line in copy.lines.all()] == [(va.sku, 2)]
    with in_schema(vendor_b):
        assert VendorOrder.objects.get().lines.get().sku == vb.sku
    sub_a.refresh_from_db()
    assert sub_a.vendor_order_id == copy.pk and sub_a.vendor_notified_at is not None
    vendor_mails = [m for m in mail.outbox if m.subject.startswith("New order")]
    assert sorted(m.to[0] for m in vendor_mails) == ["owner@alpha.example.com", "owner@bravo.example.com"]


def test_partial_then_full_shipment_syncs_status_and_tracking_to_the_buyer(paid_order, vendor_a, in_schema):
    va = sellable_variant(vendor_a, price=1000, stock=5)
    order = paid_order((vendor_a, va, 3))
    sub = order.sub_orders.get()
    with in_schema(vendor_a):
        copy = VendorOrder.objects.get()
        line = copy.lines.get()
        services.vendor_order_ship(vendor_order_id=copy.pk, quantities={line.pk: 1}, carrier="DHL",
                                   tracking_number="JD000000000000000001")
        copy.refresh_from_db()
        assert copy.status == VendorOrder.Status.PARTIALLY_SHIPPED
    sub_order_sync(sub_order_id=sub.pk)
    sub.refresh_from_db()
    order.refresh_from_db()
    assert sub.status == SubOrder.Status.PARTIALLY_FULFILLED
    assert [t["tracking_number"] for t in sub.tracking] == ["JD000000000000000001"]
    assert order.status == Order.Status.PARTIALLY_FULFILLED

    with in_schema(vendor_a):
        services.vendor_order_ship(vendor_order_id=copy.pk, quantities={line.pk: 2}, carrier="UPS",
                                   tracking_number="1Z999AA10123456784")
    sub_order_sync(sub_order_id=sub.pk)
    sub.refresh_from_db()
    order.refresh_from_db()
    assert sub.status == SubOrder.Status.FULFILLED and len(sub.tracking) == 2
    assert order.status == Order.Status.FULFILLED


def test_shipping_more_than_ordered_or_without_tracking_is_refused(paid_order, vendor_a, in_schema):
    va = sellable_variant(vendor_a, stock=5)
    paid_order((vendor_a, va, 2))
    with in_schema(vendor_a):
        copy = VendorOrder.objects.get()
        line = copy.lines.get()
        with pytest.raises(InvalidShipment) as exc:
            services.vendor_order_ship(vendor_order_id=copy.pk, quantities={line.pk: 3}, carrier="DHL",
                                       tracking_number="X")
        assert "lines" in exc.value.fields
        with pytest.raises(InvalidShipment) as exc:
            services.vendor_order_ship(vendor_order_id=copy.pk, quantities={line.pk: 1}, carrier="",
                                       tracking_number="")
        assert set(exc.value.fields) == {"carrier", "tracking_number"}
        line.refresh_from_db()
        assert line.shipped_quantity == 0 and not copy.shipments.exists()


def test_cancelled_line_is_refunded_through_the_gateway_and_stock_returns(paid_order, vendor_a, in_schema, emulator):
    va = sellable_variant(vendor_a, price=1001, stock=5)
    order = paid_order((vendor_a, va, 3))
    assert variant_stock(vendor_a, va.pk) == 2
    sub = order.sub_orders.get()
    with in_schema(vendor_a):
        copy = VendorOrder.objects.get()
        line = copy.lines.get()
        services.vendor_order_line_cancel(vendor_order_id=copy.pk, line_id=line.pk, quantity=1)
        services.vendor_order_line_cancel(vendor_order_id=copy.pk, line_id=line.pk, quantity=2)
        line.refresh_from_db()
        copy.refresh_from_db()
        assert line.refunded_amount == 3003 and copy.status == VendorOrder.Status.CANCELLED
        with pytest.raises(services.VendorOrderClosed):
            services.vendor_order_line_cancel(vendor_order_id=copy.pk, line_id=line.pk, quantity=1)
    assert variant_stock(vendor_a, va.pk) == 5
    with urllib.request.urlopen(emulator.url + "/_emulator/state", timeout=10) as response:
        refunds = json.loads(response.read())["objects"]["refund"]
    assert sorted(r["amount"] for r in refunds) == [1001, 2002]
    assert {r["payment_intent"] for r in refunds} == {order.payment_intent_id}
    sub_order_sync(sub_order_id=sub.pk)
    sub.refresh_from_db()
    assert sub.status == SubOrder.Status.REFUNDED and sub.refunded_amount == 3003
    from payouts.models import JournalEntry

    entries = JournalEntry.objects.filter(kind="refund", reference_type="refund")
    assert sorted(e.reference_id for e in entries) == sorted(r["id"] for r in refunds)
    assert all(sum(p.amount for p in e.postings.all()) == 0 for e in entries)
    cash = sum(p.amount for e in entries for p in e.postings.filter(account__code="platform_cash"))
    assert cash == -3003


def test_cancelling_zero_or_too_many_units_is_refused(paid_order, vendor_a, in_schema):
    va = sellable_variant(vendor_a, stock=5)
    paid_order((vendor_a, va, 2))
    with in_schema(vendor_a):
        copy = VendorOrder.objects.get()
        line = copy.lines.get()
        for bad in (0, 3, "x"):
            with pytest.raises(InvalidCancellation):
                services.vendor_order_line_cancel(vendor_order_id=copy.pk, line_id=line.pk, quantity=bad)
    assert variant_stock(vendor_a, va.pk) == 3


@pytest.mark.parametrize(("charge", "quantity"), [(1001, 3), (999, 7), (1, 2)])
def test_unit_refunds_add_up_to_the_line_charge(charge, quantity):
    parts = [refund_for_units(charge=charge, quantity=quantity, units=k + 1)
             - refund_for_units(charge=charge, quantity=quantity, units=k) for k in range(quantity)]
    assert sum(parts) == charge and all(part >= 0 for part in parts)


def test_vendor_order_cannot_be_created_from_another_vendors_schema(paid_order, vendor_a, vendor_b):
    va = sellable_variant(vendor_a, stock=5)
    order = paid_order((vendor_a, va, 1), copies=False)
    sub = order.sub_orders.get()
    from common.exceptions import Conflict

    with schema_context(vendor_b.store.schema_name), pytest.raises(Conflict):
        services.vendor_order_create(sub_order_id=sub.pk)


def test_outbox_sweep_creates_missing_copies(paid_order, vendor_a, in_schema):
    from config.celery import app
    from fulfillment.tasks import vendor_order_copies_pending

    va = sellable_variant(vendor_a, stock=5)
    order = paid_order((vendor_a, va, 1), copies=False)  # the copy task was lost
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        assert vendor_order_copies_pending() == 1
        assert vendor_order_copies_pending() == 0
    finally:
        app.conf.task_always_eager = previous
    with in_schema(vendor_a):
        assert VendorOrder.objects.filter(order_id=order.pk).count() == 1
