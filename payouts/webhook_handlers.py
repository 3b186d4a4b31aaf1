"""Payouts' webhook appliers: transfers after a paid order, payouts from Connect events."""

from __future__ import annotations

from django.db import transaction

from payments.models import WebhookEvent
from payments.webhooks import webhook_handler


@webhook_handler("payment_intent.succeeded")
def payment_intent_succeeded(event: WebhookEvent) -> None:
    """Create the order's transfers once the applying transaction (and the order's) commits.

    Handlers of other apps run in INSTALLED_APPS order, so the order may not be paid yet when this
    runs: the task runs after commit, and the service is a no-op until the order is paid (the
    beat task `transfers_release_due` also picks up paid orders without transfers).
    """
    if event.payload.get("account"):
        return
    order_id = (event.data_object.get("metadata") or {}).get("order_id")
    if not (order_id and str(order_id).isdigit()):
        return
    from payouts.tasks import transfers_create_for_order

    transaction.on_commit(lambda: transfers_create_for_order.delay(int(order_id)))


@webhook_handler("payout.created", "payout.updated", "payout.paid", "payout.failed",
                 "payout.canceled")
def payout_changed(event: WebhookEvent) -> None:
    from payouts.payouts import payout_record_apply

    account = event.payload.get("account") or ""
    if not account:
        return  # the platform's own payout, not a vendor's
    payout_record_apply(data=event.data_object, account_id=account, event_created=int(event.created))
