"""What payouts does when an order event happens (registered by PayoutsConfig.ready; docs/adr/0041)."""

from __future__ import annotations

from django.db import transaction

from orders.events import order_event_subscriber
from orders.models import OrderEvent, SubOrder
from payouts.ledger.postings import (
    platform_discount_in_refund,
    platform_tax_in_refund,
    post_fx_conversion,
    post_payment_captured,
    post_refund,
)


@order_event_subscriber("order.paid")
def payment_captured_post(event: OrderEvent) -> None:
    """Buyer payment in, each vendor's payable, the platform's commission, Stripe's fee: in the
    transaction that marks the order paid, so the order is never paid without its ledger entry."""
    order = event.order
    subs = list(order.sub_orders.order_by("vendor_id"))
    post_payment_captured(
        order_id=order.pk, amount=order.total_amount, currency=order.currency,
        vendor_shares=[(sub.vendor_id, sub.total_amount, sub.commission_amount) for sub in subs],
        stripe_fee=order.stripe_fee_amount or 0, key=f"payment_captured:order:{order.pk}",
        platform_tax={sub.vendor_id: sub.platform_tax_amount for sub in subs if sub.platform_tax_amount},
        platform_discounts={sub.vendor_id: sub.platform_discount_amount for sub in subs
                            if sub.platform_discount_amount},
    )
    for sub in subs:
        # A vendor selling in another currency is owed its net in that currency (docs/adr/0086).
        if sub.settlement_currency and sub.settlement_currency != order.currency and sub.net_amount:
            post_fx_conversion(
                vendor_id=sub.vendor_id, amount=sub.net_amount, currency=order.currency,
                settled_amount=sub.settlement_net_amount or 0, settlement_currency=sub.settlement_currency,
                reference=("sub_order", sub.pk), key=f"fx:payment_captured:sub_order:{sub.pk}",
            )
    from payouts.invoices import invoices_issue_for_order

    invoices_issue_for_order(order=order)


@order_event_subscriber("sub_order.refund")
def refund_post(event: OrderEvent) -> None:
    """A vendor part refunded (units the vendor could not ship, a cancelled order's shipping): the
    ledger entry in the refund's transaction, then the vendor's part taken back from its transfer
    by a retried task after commit."""
    data = event.data
    vendor_id, amount = int(data["vendor_id"]), int(data["amount"])
    sub = SubOrder.objects.get(pk=event.sub_order_id) if event.sub_order_id is not None else None
    # The deemed-supplier tax in the refunded part, in the sub-order's proportion: no longer owed.
    tax = platform_tax_in_refund(
        platform_tax=sub.platform_tax_amount if sub else 0, total=sub.total_amount if sub else 0, amount=amount,
        commission=int(data["commission"]) if data["refund_commission"] else 0,
    )
    # The platform-funded discount in the refunded part, in the same proportion: the vendor gives it back.
    funded = platform_discount_in_refund(
        platform_discount=sub.platform_discount_amount if sub else 0, total=sub.total_amount if sub else 0,
        amount=amount,
    )
    post_refund(
        order_id=event.order_id, refund_id=data["refund_id"], currency=data["currency"],
        vendor_shares=[(vendor_id, amount, int(data["commission"]))],
        refund_commission=bool(data["refund_commission"]), key=f"refund:{data['refund_id']}",
        platform_tax={vendor_id: tax} if tax else None,
        platform_discounts={vendor_id: funded} if funded else None,
    )
    if sub is not None:
        from payouts.invoices import credit_note_issue

        credit_note_issue(sub_order=sub, amount=amount, key=f"refund:{data['refund_id']}")
    vendor_part = int(data["vendor_part"]) - tax + funded
    if vendor_part > 0 and event.sub_order_id is not None:
        from payouts.tasks import transfer_recover_refund

        sub_order_id, refund_id = event.sub_order_id, str(data["refund_id"])
        transaction.on_commit(lambda: transfer_recover_refund.delay(sub_order_id, vendor_part, refund_id))


@order_event_subscriber("order.review_held")
def transfers_hold_for_review(event: OrderEvent) -> None:
    """An order held for fraud review: no vendor is paid for it until an admin approves it."""
    from orders.services.risk import TRANSFER_HOLD_REASON
    from payouts.transfers import transfer_hold_for_sub_order

    for sub_order_id in event.order.sub_orders.order_by("pk").values_list("pk", flat=True):
        transfer_hold_for_sub_order(sub_order_id=sub_order_id, reason=TRANSFER_HOLD_REASON)


@order_event_subscriber("order.review_approved")
def transfers_release_after_review(event: OrderEvent) -> None:
    """Approved: the review's hold is lifted (other holds, e.g. an open claim, stay)."""
    from orders.services.risk import TRANSFER_HOLD_REASON
    from payouts.transfers import transfer_release_hold

    for sub_order_id in event.order.sub_orders.order_by("pk").values_list("pk", flat=True):
        transfer_release_hold(sub_order_id=sub_order_id, reason=TRANSFER_HOLD_REASON)
