"""The support console: search, an order's timeline, manual refunds through the existing refund
paths (emulator, ledger, transfer, stock), and refusals that change nothing."""

from __future__ import annotations

import pytest

from fulfillment.models import VendorOrder
from orders.models import Order, OrderEvent, OrderLine, SubOrder
from payments import gateway
from payouts.ledger.selectors import vendor_balances
from support.errors import InvalidSupportRequest, RefundExceedsRemaining, RefundNotAllowed
from support.services.refunds import order_refund_manual
from tests.factories import UserFactory
from tests.factories.orders import paid_orders, sellable_variant, shipping_rate, variant_stock
from tests.support.ledger import ledger_balanced
from tests.support.state import rows

pytestmark = pytest.mark.django_db
PLATFORM = "marketplace.localhost"


@pytest.fixture
def emulator(gateway_on_emulator):
    return gateway_on_emulator


@pytest.fixture
def paid_order(buyer, emulator):
    return paid_orders(buyer)


@pytest.fixture
def two_vendor_order(paid_order, vendor_a, vendor_b):
    shipping_rate(vendor_a, name="Parcel", base_amount=490)
    va = sellable_variant(vendor_a, price=2000, stock=5)
    vb = sellable_variant(vendor_b, price=3000, stock=5)
    return paid_order((vendor_a, va, 2), (vendor_b, vb, 1)), va, vb


def _stripe_refunded(order) -> int:
    charges = gateway._client().v1.charges.list(params={"payment_intent": order.payment_intent_id}).data
    return sum(int(charge.amount_refunded) for charge in charges)


def _money_state(order, vendor):
    with_copy = []
    from django_tenants.utils import schema_context

    with schema_context(vendor.store.schema_name):
        with_copy = rows(VendorOrder.objects.all())
    return {**rows(Order.objects.filter(pk=order.pk), SubOrder.objects.filter(order=order),
                   OrderLine.objects.filter(order=order), OrderEvent.objects.filter(order=order)),
            "copy": with_copy}


def test_search_finds_an_order_by_buyer_email_number_payment_and_vendor(two_vendor_order, client_for, admin_user,
                                                                       vendor_b, buyer):
    order, _va, _vb = two_vendor_order
    other = UserFactory(email="someone-else@example.com")
    admin = client_for(PLATFORM, admin_user)
    page = admin.get("/ops/support/", {"q": buyer.email.upper()})
    assert page.status_code == 200
    assert f'data-order="{order.pk}"' in page.content.decode()
    assert other.email not in page.content.decode()
    for query in (order.number, f"#{order.number}", order.payment_intent_id):
        jump = admin.get("/ops/support/", {"q": query})
        assert (jump.status_code, jump["Location"]) == (302, f"/ops/support/orders/{order.pk}/")
    by_vendor = admin.get("/ops/support/", {"q": vendor_b.slug}).content.decode()
    assert f'data-order="{order.pk}"' in by_vendor and vendor_b.name in by_vendor
    assert "Nothing found" in admin.get("/ops/support/", {"q": "nobody@example.com"}).content.decode()


def test_buyers_and_vendor_staff_cannot_use_the_console(two_vendor_order, client_for, buyer, owner_a):
    order, _va, _vb = two_vendor_order
    for user in (buyer, owner_a):
        client = client_for(PLATFORM, user)
        assert client.get("/ops/support/", {"q": buyer.email}).status_code == 403
        assert client.get(f"/ops/support/orders/{order.pk}/").status_code == 403
        assert client.post(f"/ops/support/orders/{order.pk}/refund/", {"reason": "x"}).status_code == 403
    assert order.sub_orders.filter(refunded_amount__gt=0).count() == 0


def test_refunding_one_unshipped_vendor_part_cancels_it_with_stock_ledger_and_timeline(
    two_vendor_order, client_for, admin_user, vendor_a, vendor_b, django_capture_on_commit_callbacks,
):
    order, va, vb = two_vendor_order
    sub_a = order.sub_orders.get(vendor=vendor_a)
    admin = client_for(PLATFORM, admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/ops/support/orders/{order.pk}/refund/",
                              {"sub_order": sub_a.pk, "reason": "Parcel lost by the carrier"}, follow=True)
    assert response.status_code == 200
    sub_a.refresh_from_db()
    assert (sub_a.status, sub_a.refunded_amount) == (SubOrder.Status.REFUNDED, sub_a.total_amount)
    assert _stripe_refunded(order) == sub_a.total_amount
    assert variant_stock(vendor_a, va.pk) == 5 and variant_stock(vendor_b, vb.pk) == 4
    assert order.sub_orders.get(vendor=vendor_b).refunded_amount == 0
    assert ledger_balanced()
    audit = OrderEvent.objects.get(order=order, kind="support.refund")
    assert (audit.actor, audit.actor_kind, audit.reason, audit.audience) == (
        admin_user, "staff", "Parcel lost by the carrier", "staff")
    assert audit.data["amount"] == sub_a.total_amount and audit.data["mode"] == "cancelled"
    page = admin.get(f"/ops/support/orders/{order.pk}/").content.decode()
    assert "Parcel lost by the carrier" in page and 'data-source="fulfilment"' in page


def test_a_partial_refund_of_a_shipped_part_goes_through_the_ledger_and_the_vendor_copy(
    paid_order, vendor_a, admin_user, in_schema, django_capture_on_commit_callbacks,
):
    from fulfillment.services import vendor_order_ship
    from orders.services import sub_order_sync

    variant = sellable_variant(vendor_a, price=2000, stock=5)
    order = paid_order((vendor_a, variant, 2))
    sub = order.sub_orders.get()
    with in_schema(vendor_a):
        copy = VendorOrder.objects.get(sub_order_id=sub.pk)
        vendor_order_ship(vendor_order_id=copy.pk, quantities={copy.lines.get().pk: 2}, carrier="DHL",
                          tracking_number="JD000000000000000001")
    sub_order_sync(sub_order_id=sub.pk)
    pending_before = vendor_balances(vendor_id=vendor_a.pk, currency="EUR")["pending"]
    with django_capture_on_commit_callbacks(execute=True):
        done = order_refund_manual(order_id=order.pk, sub_order_id=sub.pk, amount=700, reason="Goodwill",
                                   actor=admin_user)
    assert [(part.amount, part.mode) for part in done] == [(700, "money")]
    sub.refresh_from_db()
    assert (sub.refunded_amount, sub.status) == (700, SubOrder.Status.FULFILLED)
    assert _stripe_refunded(order) == 700
    assert variant_stock(vendor_a, variant.pk) == 3  # shipped goods do not come back by a refund
    with in_schema(vendor_a):
        assert VendorOrder.objects.get(sub_order_id=sub.pk).refunded_amount == 700
    # A later sync from the vendor's copy keeps the refund.
    assert sub_order_sync(sub_order_id=sub.pk).refunded_amount == 700
    refund_event = OrderEvent.objects.get(order=order, kind="sub_order.refund")
    assert refund_event.actor == admin_user and refund_event.data["amount"] == 700
    assert vendor_balances(vendor_id=vendor_a.pk, currency="EUR")["pending"] < pending_before
    assert ledger_balanced()


def test_a_partial_refund_before_the_vendor_copy_exists_is_carried_into_it_once(
    paid_order, vendor_a, admin_user, in_schema,
):
    """The refund paths share one update of the vendor's copy (fulfilment's port): with no copy
    yet, the refund is carried in by the copy made later, never added a second time."""
    from fulfillment.tasks import vendor_order_copy
    from orders.services import sub_order_sync

    variant = sellable_variant(vendor_a, price=2000, stock=5)
    order = paid_order((vendor_a, variant, 2), copies=False)
    sub = order.sub_orders.get()
    order_refund_manual(order_id=order.pk, sub_order_id=sub.pk, amount=700, reason="Goodwill", actor=admin_user)
    with in_schema(vendor_a):
        assert not VendorOrder.objects.filter(sub_order_id=sub.pk).exists()

    vendor_order_copy(sub.pk)  # the copy task runs only now
    with in_schema(vendor_a):
        copy = VendorOrder.objects.get(sub_order_id=sub.pk)
        assert (copy.refunded_amount, copy.lines.get().refunded_amount) == (700, 700)
    synced = sub_order_sync(sub_order_id=sub.pk)
    assert synced is not None and synced.refunded_amount == 700
    assert OrderLine.objects.get(sub_order=sub).refunded_amount == 700
    assert ledger_balanced()


def test_a_refund_above_what_is_left_is_refused_and_changes_nothing(
    paid_order, vendor_a, admin_user, client_for, in_schema,
):
    variant = sellable_variant(vendor_a, price=2000, stock=5)
    order = paid_order((vendor_a, variant, 1))
    sub = order.sub_orders.get()
    order_refund_manual(order_id=order.pk, sub_order_id=sub.pk, amount=1500, reason="first", actor=admin_user)
    before = _money_state(order, vendor_a)
    refunded_before = _stripe_refunded(order)
    left = sub.total_amount - 1500
    with pytest.raises(RefundExceedsRemaining) as refused:
        order_refund_manual(order_id=order.pk, sub_order_id=sub.pk, amount=left + 1, reason="again", actor=admin_user)
    assert refused.value.extra == {"refundable": left}
    page = client_for(PLATFORM, admin_user).post(f"/ops/support/orders/{order.pk}/refund/",
                                                 {"sub_order": sub.pk, "amount": left + 1, "reason": "again"})
    assert page.status_code == 409 and "At most" in page.content.decode()
    assert _money_state(order, vendor_a) == before and _stripe_refunded(order) == refunded_before


def test_a_whole_order_refund_gives_back_everything_left_then_nothing_more(
    two_vendor_order, admin_user, vendor_a, vendor_b,
):
    order, _va, _vb = two_vendor_order
    sub_b = order.sub_orders.get(vendor=vendor_b)
    order_refund_manual(order_id=order.pk, sub_order_id=sub_b.pk, amount=1000, reason="partial", actor=admin_user)
    order_refund_manual(order_id=order.pk, reason="Fraud confirmed by the bank", actor=admin_user)
    order.refresh_from_db()
    assert _stripe_refunded(order) == order.total_amount
    assert all(sub.refunded_amount == sub.total_amount for sub in order.sub_orders.all())
    assert ledger_balanced()
    before = _money_state(order, vendor_a)
    with pytest.raises(RefundNotAllowed):
        order_refund_manual(order_id=order.pk, reason="again", actor=admin_user)
    assert _money_state(order, vendor_a) == before


def test_bad_refund_requests_are_refused_before_any_money_moves(paid_order, vendor_a, admin_user, buyer):
    from orders import services

    variant = sellable_variant(vendor_a, price=2000, stock=5)
    order = paid_order((vendor_a, variant, 1))
    sub = order.sub_orders.get()
    before = _money_state(order, vendor_a)
    for kwargs in ({"reason": ""}, {"reason": "x", "amount": "-5", "sub_order_id": sub.pk},
                   {"reason": "x", "amount": "ten", "sub_order_id": sub.pk}, {"reason": "x", "amount": 100}):
        with pytest.raises(InvalidSupportRequest):
            order_refund_manual(order_id=order.pk, actor=admin_user, **kwargs)
    assert _money_state(order, vendor_a) == before and _stripe_refunded(order) == 0
    cart = services.cart_for(user=buyer, create=True)
    services.cart_item_add(cart=cart, vendor_id=vendor_a.pk, variant_id=variant.pk)
    unpaid = services.checkout_submit(user=buyer, address=order_address(), shipping_choice={}, checkout_token="unpaid")
    with pytest.raises(RefundNotAllowed):
        order_refund_manual(order_id=unpaid.pk, reason="x", actor=admin_user)


def order_address():
    from tests.support.addresses import ADDRESS_DE

    return ADDRESS_DE
