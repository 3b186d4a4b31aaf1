"""The order's payment: the PaymentIntent, and the signed webhooks' success, failure and cancellation."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exceptions import ApplicationError
from common.hosts import platform_url
from orders.errors import OrderStateConflict
from orders.events import WEBHOOK, order_move, sub_orders_move
from orders.models import Order, SubOrder
from orders.services.cancellation import _order_cancel, _order_end_failed
from orders.services.reservations import _stock_take_again
from payments import gateway
from payments import services as payments_services
from payments.errors import GatewayError, InvalidGatewayRequest, ResourceMissing

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OrderPayment:
    """What a page (Stripe.js) or a client (a mobile SDK) needs to take the order's payment."""

    order_id: int
    payment_intent_id: str
    client_secret: str
    status: str
    amount: int
    currency: str
    publishable_key: str
    customer_id: str = ""
    customer_session_client_secret: str = ""


def _order_intent(*, order: Order) -> tuple[gateway.PaymentIntent, str]:
    """The order's one PaymentIntent (created once whatever the retries or double clicks, then
    retrieved), its amount decided here from the order, and the buyer's Stripe Customer id."""
    if order.status != Order.Status.PENDING_PAYMENT:
        raise OrderStateConflict(_("This order is not awaiting payment."))
    customer_id = buyer_customer_ensure(user=order.buyer) if order.buyer_id else ""
    if order.payment_intent_id:
        return gateway.payment_intent_retrieve(payment_intent_id=order.payment_intent_id), customer_id
    intent = gateway.payment_intent_create(
        order_id=order.pk, amount=order.total_amount, currency=order.currency,
        transfer_group=order.transfer_group or f"order_{order.pk}",
        metadata={"order_number": order.number, "buyer_id": order.buyer_id},
        customer_id=customer_id or None,
    )
    Order.objects.filter(pk=order.pk, payment_intent_id="").update(payment_intent_id=intent.id)
    order.payment_intent_id = order.payment_intent_id or intent.id
    return intent, customer_id


def order_payment_prepare(*, order: Order, customer_session: bool = False) -> OrderPayment:
    """The order's PaymentIntent with the buyer's Stripe Customer so cards can be saved.

    `customer_session`: also a CustomerSession, with which the Payment Element lists the buyer's
    saved cards and offers to save the new one."""
    intent, customer_id = _order_intent(order=order)
    session = gateway.customer_session_create(customer_id=customer_id) if customer_session and customer_id else ""
    return OrderPayment(
        order_id=order.pk, payment_intent_id=intent.id, client_secret=intent.client_secret or "",
        status=intent.status, amount=intent.amount, currency=intent.currency,
        publishable_key=gateway.publishable_key(), customer_id=customer_id,
        customer_session_client_secret=session,
    )


def order_payment_start(*, order: Order, return_url: str | None = None) -> str:
    """Prepare the order's PaymentIntent; returns the URL of our payment page (the Payment
    Element), where Stripe.js collects the card and sends the buyer back to the return page.
    `return_url` is not needed any more (the page builds it) and is accepted for older callers."""
    order_payment_prepare(order=order)
    return platform_url(reverse("order-pay", args=[order.pk], urlconf="config.urls_public"))


@dataclass(frozen=True)
class PaymentOutcome:
    """Where the order's PaymentIntent stands, as the return page tells the buyer."""

    status: str
    redirect_status: str  # succeeded | processing | failed (Stripe's return-URL vocabulary)
    error_code: str = ""


def order_payment_outcome(*, order: Order) -> PaymentOutcome | None:
    """The PaymentIntent read from the provider (the return URL's query is never trusted);
    None when the order has no PaymentIntent yet."""
    if not order.payment_intent_id:
        return None
    intent = gateway.payment_intent_retrieve(payment_intent_id=order.payment_intent_id)
    if intent.status in ("succeeded", "requires_capture"):
        redirect_status = "succeeded"
    elif intent.status == "processing":
        redirect_status = "processing"
    else:
        redirect_status = "failed"
    return PaymentOutcome(status=intent.status, redirect_status=redirect_status,
                          error_code=intent.last_error_code or "")


def buyer_customer_ensure(*, user: Any) -> str:
    """The buyer's Stripe Customer id, created once (the key makes retries and races return the
    same Customer; the conditional update keeps the first id)."""
    if user.stripe_customer_id:
        return str(user.stripe_customer_id)
    customer_id = gateway.customer_create(
        key=f"user:{user.pk}", email=user.email, name=getattr(user, "full_name", "") or "",
        metadata={"user_id": user.pk},
    )
    type(user).objects.filter(pk=user.pk, stripe_customer_id="").update(stripe_customer_id=customer_id)
    user.refresh_from_db(fields=["stripe_customer_id"])
    return str(user.stripe_customer_id)


@dataclass(frozen=True)
class PaymentDetails:
    """What a client needs to pay an order itself (Stripe.js, the mobile SDKs): never an amount
    of its own, only the server's PaymentIntent."""

    intent: gateway.PaymentIntent
    publishable_key: str
    customer_id: str
    ephemeral_key: gateway.EphemeralKey | None


def order_payment_details(*, order: Order, ephemeral_key: bool = True) -> PaymentDetails:
    """The order's PaymentIntent, publishable key and Customer for a client that pays itself.

    Called again after an app restart: the same PaymentIntent comes back, with a fresh ephemeral
    key for the mobile SDKs (they expire after an hour).
    """
    intent, customer_id = _order_intent(order=order)
    key = gateway.ephemeral_key_create(customer_id=customer_id) if ephemeral_key and customer_id else None
    return PaymentDetails(intent=intent, publishable_key=gateway.publishable_key(),
                          customer_id=customer_id, ephemeral_key=key)


def _order_for_intent(data: dict[str, Any]) -> Order | None:
    order_id = (data.get("metadata") or {}).get("order_id")
    query = Order.objects.select_for_update()
    if order_id and str(order_id).isdigit():
        order = query.filter(pk=int(order_id)).first()
        if order is not None and order.payment_intent_id in ("", data.get("id")):
            return order
        return None
    return query.filter(payment_intent_id=data.get("id") or "-").first()


@transaction.atomic
def order_payment_succeeded(*, intent_data: dict[str, Any], event_id: str = "") -> Order | None:
    """Mark the order paid from a verified `payment_intent.succeeded` (duplicates: no-op)."""
    order = _order_for_intent(intent_data)
    if order is None:
        return None
    intent = gateway.payment_intent_from_dict(intent_data)
    if intent.amount != order.total_amount or intent.currency != order.currency:
        raise ApplicationError(
            f"PaymentIntent {intent.id} is {intent.amount} {intent.currency}, order {order.pk} is "
            f"{order.total_amount} {order.currency}.", code="payment_amount_mismatch",
        )
    if order.paid_at is not None or order.status == Order.Status.REFUNDED:
        return order
    if not order.payment_intent_id:
        order.payment_intent_id = intent.id
    if order.stock_released and not _stock_take_again(order=order):
        _order_refund_whole(order=order, intent=intent, reason="stock_gone_after_late_payment")
        return order
    order.paid_at = timezone.now()
    order.failure_code = ""
    order.stripe_fee_amount = _stripe_fee(intent)
    order_id = order.pk
    # Queued before the move: the buyer's confirmation goes out before the vendors' copies, which
    # fulfilment queues when it hears `order.paid` (as does payouts, posting the ledger entry in
    # this transaction: docs/adr/0041).
    transaction.on_commit(lambda: _after_paid(order_id))
    data = {"payment_intent_id": intent.id, "event_id": event_id}
    sub_orders_move(order=order, to=SubOrder.Status.PAID, actor=WEBHOOK, data=data)
    order_move(order=order, to=Order.Status.PAID, actor=WEBHOOK, data=data,
               fields=["paid_at", "failure_code", "payment_intent_id", "stripe_fee_amount"])
    _order_risk_screen(order=order, intent=intent)
    return order


def _order_risk_screen(*, order: Order, intent: Any) -> None:
    """Radar's outcome of the paying charge, kept with the payment; a risky order is held for
    review in this transaction, before vendors hear of it. A charge that cannot be read fails the
    webhook's application (retried), never lets an unscreened order through."""
    from orders.services.risk import order_review_hold, order_risk_reasons

    attempt = (payments_services.payment_attempt_for_charge(charge_id=intent.latest_charge)
               if intent.latest_charge else None)
    reasons = order_risk_reasons(order=order, attempt=attempt)
    if reasons:
        order_review_hold(order=order, attempt=attempt, reasons=reasons)


def _after_paid(order_id: int) -> None:
    from orders.tasks import order_confirmation_send

    order_confirmation_send.delay(order_id)


def _order_refund_whole(*, order: Order, intent: Any, reason: str) -> None:
    gateway.refund_create(
        key=f"order:{order.pk}:whole", payment_intent_id=intent.id, amount=intent.amount,
        metadata={"order_id": order.pk, "reason": reason},
    )
    order.failure_code = reason
    sub_orders_move(order=order, to=SubOrder.Status.REFUNDED, actor=WEBHOOK, reason=reason,
                    values={"refunded_amount": F("total_amount")})
    order_move(order=order, to=Order.Status.REFUNDED, actor=WEBHOOK, reason=reason,
               fields=["failure_code", "payment_intent_id"])


def _stripe_fee(intent: Any) -> int | None:
    """The fee of the charge's balance transaction (found by its source)."""
    if not intent.latest_charge:
        return None
    try:
        for txn in gateway.balance_transactions_list(
            created_gte=(intent.created or 0) - 3600 if intent.created else None, created_lt=None
        ):
            if txn.get("source") == intent.latest_charge:
                return int(txn.get("fee") or 0)
    except GatewayError:
        logger.warning("fee lookup failed for %s", intent.id)
    return None


@transaction.atomic
def order_payment_failed(*, intent_data: dict[str, Any]) -> Order | None:
    """A declined or failed attempt (one `payment_intent.payment_failed` event, applied once).

    As with Stripe's own payment page, the PaymentIntent stays usable: the order keeps its
    reservation and the buyer tries another card on the same page. After
    ORDERS_MAX_FAILED_PAYMENTS attempts (card testing) the order is given up: the intent is
    cancelled, the stock released and the items put back in the cart. An order nobody pays
    expires with its reservation (`order_expire`)."""
    order = _order_for_intent(intent_data)
    if order is None or order.status != Order.Status.PENDING_PAYMENT:
        return order
    intent_id = intent_data["id"]
    # The event may be stale: the buyer may have paid with another card since.
    current = gateway.payment_intent_retrieve(payment_intent_id=intent_id)
    if current.status in ("succeeded", "processing", "requires_capture"):
        return order
    error = intent_data.get("last_payment_error") or {}
    order.failed_payment_attempts += 1
    order.failure_code = str(error.get("decline_code") or error.get("code") or current.last_error_code
                             or "payment_failed")[:64]
    order.save(update_fields=["failed_payment_attempts", "failure_code", "updated_at"])
    if order.failed_payment_attempts >= settings.ORDERS_MAX_FAILED_PAYMENTS or current.status == "canceled":
        _order_payment_give_up(order=order, intent_id=intent_id)
    return order


def _order_payment_give_up(*, order: Order, intent_id: str) -> bool:
    """Cancel the order's PaymentIntent, release its stock and put the items back in the cart."""
    try:
        gateway.payment_intent_cancel(payment_intent_id=intent_id)
    except (InvalidGatewayRequest, ResourceMissing):
        current = gateway.payment_intent_retrieve(payment_intent_id=intent_id)
        if current.status != "canceled":
            return False
    _order_end_failed(order=order, note="payment failed", actor=WEBHOOK)
    return True


@transaction.atomic
def order_payment_canceled(*, intent_data: dict[str, Any]) -> Order | None:
    order = _order_for_intent(intent_data)
    if order is None or order.status != Order.Status.PENDING_PAYMENT:
        return order
    _order_cancel(order=order, note="payment cancelled", actor=WEBHOOK)
    return order
