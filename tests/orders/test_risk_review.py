"""Fraud review: Radar's outcome kept with each payment, elevated-risk orders held (no shipping, no
transfer) until a platform admin with two-factor approves or refuses them (full refund, stock
back, ledger balanced); every decision audited; vendors see only their own held orders."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from fulfillment import services as fulfillment_services
from fulfillment.errors import VendorOrderOnHold
from fulfillment.models import VendorOrder
from orders import services
from orders.models import Order, OrderEvent, OrderReview, SubOrder
from orders.services import risk
from payments.models import PaymentAttempt
from payouts.ledger.selectors import unbalanced_entries, vendor_balances
from payouts.models import JournalEntry, Transfer
from tests.factories import UserFactory
from tests.factories.orders import order_pay, sellable_variant, variant_stock, vendor_order_copies
from tests.support.addresses import ADDRESS_DE
from tests.support.state import rows

pytestmark = pytest.mark.django_db

HOST = "marketplace.localhost"
ELEVATED = "pm_card_riskLevelElevated"


@pytest.fixture
def emulator(gateway_on_emulator):
    return gateway_on_emulator


def _order(buyer, *items, card="pm_card_visa", token="t1"):
    cart = services.cart_for(user=buyer, create=True)
    for vendor, variant, quantity in items:
        services.cart_item_add(cart=cart, vendor_id=vendor.pk, variant_id=variant.pk, quantity=quantity)
    order = services.checkout_submit(user=buyer, address=ADDRESS_DE, shipping_choice={}, checkout_token=token,
                                     client_ip="198.51.100.7")
    order = order_pay(order, payment="emulator", card=card)
    vendor_order_copies(order)
    return order


@pytest.fixture
def held(shopper, vendor_a, vendor_b, emulator):
    va = sellable_variant(vendor_a, price=2000, stock=5)
    vb = sellable_variant(vendor_b, price=3000, stock=5)
    before = {v.pk: vendor_balances(vendor_id=v.pk, currency="EUR") for v in (vendor_a, vendor_b)}
    order = _order(shopper, (vendor_a, va, 2), (vendor_b, vb, 1), card=ELEVATED)
    return order, va, vb, before


def _vendor_order(vendor, order):
    with schema_context(vendor.store.schema_name):
        return VendorOrder.objects.get(order_id=order.pk)


def test_a_normal_payment_keeps_radars_outcome_and_is_not_held(shopper, vendor_a, emulator):
    va = sellable_variant(vendor_a, price=2000, stock=5)
    order = _order(shopper, (vendor_a, va, 1))

    attempt = PaymentAttempt.objects.get(payment_intent_id=order.payment_intent_id)
    assert (attempt.status, attempt.outcome_type, attempt.risk_level, attempt.network_status) == (
        "succeeded", "authorized", "normal", "approved_by_network")
    assert attempt.risk_score == 20 and attempt.card_fingerprint and attempt.seller_message == "Payment complete."
    assert order.status == Order.Status.PAID and not OrderReview.objects.filter(order=order).exists()
    assert risk.order_ship_allowed(order_id=order.pk)


def test_an_elevated_risk_payment_holds_the_order_its_shipping_and_its_transfers(held, vendor_a, client_for,
                                                                                 owner_a):
    order, *_ = held
    assert order.status == Order.Status.PAID  # paid: the ledger has the payment; only release waits
    review = OrderReview.objects.get(order=order)
    assert (review.status, review.reasons, review.risk_level, review.risk_score) == (
        "pending", ["radar_elevated"], "elevated", 65)
    attempt = PaymentAttempt.objects.get(charge_id=review.charge_id)
    assert attempt.outcome_type == "authorized" and attempt.risk_level == "elevated"
    transfers = Transfer.objects.filter(order=order)
    assert transfers.count() == 2
    assert all(t.status == Transfer.Status.HELD and "fraud_review" in t.hold_reasons for t in transfers)
    held_event = OrderEvent.objects.get(order=order, kind="order.review_held")
    assert held_event.audience == OrderEvent.Audience.STAFF

    copy = _vendor_order(vendor_a, order)
    dashboard = client_for(vendor_a, owner_a)
    page = dashboard.get(f"/dashboard/orders/{copy.pk}/").content.decode()
    assert 'id="order-on-hold"' in page and "On hold for review" in page
    assert 'id="ship-button"' not in page and "elevated" not in page  # the reason is for staff only
    listing = dashboard.get("/dashboard/orders/").content.decode()
    assert "On hold for review" in listing
    shipped = dashboard.post(f"/dashboard/orders/{copy.pk}/ship/",
                             {f"qty_{copy.lines.get().pk}": "2", "carrier": "DHL", "tracking_number": "JD000000000000000001"})
    assert "on hold for review" in shipped.content.decode()
    with schema_context(vendor_a.store.schema_name), pytest.raises(VendorOrderOnHold):
        fulfillment_services.vendor_order_ship(vendor_order_id=copy.pk, quantities={copy.lines.get().pk: 2},
                                               carrier="DHL", tracking_number="JD000000000000000001")
    assert _vendor_order(vendor_a, order).status == VendorOrder.Status.NEW


def test_the_ops_queue_lists_held_orders_for_a_2fa_admin(held, client_for, admin_user):
    order, *_ = held
    page = client_for(HOST, admin_user).get("/ops/reviews/")
    assert page.status_code == 200
    body = page.content.decode()
    assert f'id="review-{order.pk}"' in body and "Stripe Radar: elevated risk" in body
    assert f'hx-post="/ops/reviews/{order.pk}/approve/"' in body


def test_approving_lets_the_vendors_ship_and_releases_the_transfers(held, vendor_a, client_for, admin_user,
                                                                    in_schema):
    order, *_ = held
    response = client_for(HOST, admin_user).post(f"/ops/reviews/{order.pk}/approve/", {"reason": "known customer"},
                                                 HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Approved" in response.content.decode()

    review = OrderReview.objects.get(order=order)
    assert (review.status, review.decided_by, review.decision_reason) == ("approved", admin_user, "known customer")
    assert review.decided_at is not None
    event = OrderEvent.objects.get(order=order, kind="order.review_approved")
    assert (event.actor, event.actor_kind, event.reason) == (admin_user, "staff", "known customer")
    assert set(Transfer.objects.filter(order=order).values_list("status", flat=True)) == {Transfer.Status.PENDING}
    copy = _vendor_order(vendor_a, order)
    with schema_context(vendor_a.store.schema_name):
        fulfillment_services.vendor_order_ship(vendor_order_id=copy.pk, quantities={copy.lines.get().pk: 2},
                                               carrier="DHL", tracking_number="JD000000000000000001")
    assert _vendor_order(vendor_a, order).status == VendorOrder.Status.SHIPPED
    again = client_for(HOST, admin_user).post(f"/ops/reviews/{order.pk}/refuse/", {"reason": "late"},
                                              HTTP_HX_REQUEST="true")
    assert "already been reviewed" in again.content.decode()
    assert OrderReview.objects.get(order=order).status == "approved"
    assert not OrderEvent.objects.filter(order=order, kind="order.review_refused").exists()


def test_refusing_refunds_everything_cancels_restocks_and_keeps_the_ledger_balanced(
    held, vendor_a, vendor_b, client_for, admin_user, gateway_on_emulator,
):
    order, va, vb, before = held
    assert variant_stock(vendor_a, va.pk) == 3 and variant_stock(vendor_b, vb.pk) == 4
    admin = client_for(HOST, admin_user)
    missing = admin.post(f"/ops/reviews/{order.pk}/refuse/", {"reason": " "}, HTTP_HX_REQUEST="true")
    assert 'role="alert"' in missing.content.decode() and "Say why the order is refused." in missing.content.decode()
    assert OrderReview.objects.get(order=order).status == "pending" and order.sub_orders.first().status == "paid"
    plain = admin.post(f"/ops/reviews/{order.pk}/refuse/", {"reason": ""}, follow=True)  # without htmx
    assert "Say why the order is refused." in plain.content.decode()

    response = admin.post(f"/ops/reviews/{order.pk}/refuse/", {"reason": "stolen card reported"},
                          HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Refused" in response.content.decode()

    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED
    assert set(order.sub_orders.values_list("status", flat=True)) == {SubOrder.Status.REFUNDED}
    assert sum(order.sub_orders.values_list("refunded_amount", flat=True)) == order.total_amount
    from payments import gateway

    charge = gateway.charge_retrieve_raw(charge_id=OrderReview.objects.get(order=order).charge_id)
    assert charge["amount_refunded"] == order.total_amount
    assert variant_stock(vendor_a, va.pk) == 5 and variant_stock(vendor_b, vb.pk) == 5
    assert unbalanced_entries() == []
    for vendor in (vendor_a, vendor_b):
        assert vendor_balances(vendor_id=vendor.pk, currency="EUR")["pending"] == before[vendor.pk]["pending"]
    event = OrderEvent.objects.get(order=order, kind="order.review_refused")
    assert (event.actor, event.reason) == (admin_user, "stolen card reported")
    assert _vendor_order(vendor_a, order).status == VendorOrder.Status.CANCELLED


def test_only_platform_admins_with_two_factor_decide(held, vendor_a, owner_a, client_for, finance_user):
    order, *_ = held
    admin_without_2fa = UserFactory(email="admin-no-2fa@example.com", platform_role="admin", totp=False)
    buyer = UserFactory(email="someone@example.com")
    before = _review_state(order)
    for user in (buyer, owner_a, finance_user):
        client = client_for(HOST, user)
        assert client.get("/ops/reviews/").status_code == 403
        for decision in ("approve", "refuse"):
            assert client.post(f"/ops/reviews/{order.pk}/{decision}/", {"reason": "x"}).status_code == 403
            assert _review_state(order) == before, (user.email, decision)
    no_2fa = client_for(HOST, admin_without_2fa)
    response = no_2fa.post(f"/ops/reviews/{order.pk}/approve/", {"reason": "x"})
    assert response.status_code == 302 and "/2fa/" in response["Location"]  # sent to set up 2FA
    assert client_for(vendor_a, owner_a).post(f"/ops/reviews/{order.pk}/approve/").status_code == 404
    assert client_for(HOST).post(f"/ops/reviews/{order.pk}/approve/").status_code == 302  # to sign in
    with pytest.raises(risk.PermissionDenied):
        risk.order_review_approve(order_id=order.pk, actor=admin_without_2fa, reason="")
    assert OrderReview.objects.get(order=order).status == "pending"
    assert not OrderEvent.objects.filter(order=order, kind__startswith="order.review_a").exists()
    assert _review_state(order) == before


def _review_state(order):
    """What a decision writes: the review, the order and its parts, their events, the money."""
    return rows(OrderReview.objects.filter(order=order), Order.objects.filter(pk=order.pk),
                SubOrder.objects.filter(order=order), OrderEvent.objects.filter(order=order),
                Transfer, JournalEntry, PaymentAttempt)


def test_a_vendor_cannot_see_another_vendors_held_order(shopper, vendor_a, vendor_b, owner_b, client_for, emulator):
    va = sellable_variant(vendor_a, price=2000, stock=5)
    order = _order(shopper, (vendor_a, va, 1), card=ELEVATED)
    copy = _vendor_order(vendor_a, order)
    other = client_for(vendor_b, owner_b)
    with schema_context(vendor_b.store.schema_name):
        assert not VendorOrder.objects.filter(order_id=order.pk).exists()
        same_id_in_b = VendorOrder.objects.filter(pk=copy.pk).exists()  # ids are per schema
    detail = other.get(f"/dashboard/orders/{copy.pk}/")
    assert detail.status_code == (200 if same_id_in_b else 404)
    assert f"Order {order.number}" not in detail.content.decode()
    assert order.number not in other.get("/dashboard/orders/").content.decode()
