"""Vendor-side background work: creating the fulfilment copy of a paid sub-order, and the sweep."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from common.exceptions import ApplicationError
from payments.errors import GatewayUnavailable
from vendors.selectors import Audience, vendor_audience_emails


# Idempotent (one copy per sub-order, one notification): retried after a lost connection or a
# deadlock; the beat's sweep below queues again whatever still has no copy.
@shared_task(
    autoretry_for=(OperationalError, InterfaceError), retry_backoff=5, retry_backoff_max=300,
    retry_jitter=True, max_retries=8, acks_late=True,
)
def vendor_order_copy(sub_order_id: int) -> str:
    """Create the copy in the sub-order's own vendor schema, then notify the vendor once."""
    from fulfillment.services import vendor_order_create
    from orders.models import SubOrder

    sub = SubOrder.objects.select_related("vendor__store", "order").filter(pk=sub_order_id).first()
    if sub is None or sub.vendor.store is None or sub.order.paid_at is None:
        return "skipped"
    with schema_context(sub.vendor.store.schema_name):
        copy, _created = vendor_order_create(sub_order_id=sub.pk)
    with transaction.atomic():
        notify = SubOrder.objects.filter(pk=sub.pk, vendor_notified_at__isnull=True).update(
            vendor_order_id=copy.pk, vendor_notified_at=timezone.now()
        )
        if notify:
            transaction.on_commit(lambda: _vendor_notify(sub.pk))
    return "created"


def _vendor_notify(sub_order_id: int) -> None:
    from orders.models import SubOrder

    sub = SubOrder.objects.select_related("vendor", "order").get(pk=sub_order_id)
    emails = vendor_audience_emails(vendor_id=sub.vendor_id, audience=Audience.ORDERS)
    if not emails:
        return
    from common.hosts import vendor_url
    from common.mail import send_mail_localized

    url = vendor_url(sub.vendor, f"/dashboard/orders/{sub.vendor_order_id}/")
    send_mail_localized(emails, lambda: (
        _("New order %(number)s") % {"number": sub.order.number},
        render_to_string("fulfillment/email/new_order.txt", {"sub": sub, "url": url}),
    ))


@shared_task
def vendor_order_copies_pending() -> int:
    """Outbox sweep: queue again the copy of every paid sub-order that has none yet."""
    from orders.models import SubOrder

    ids = list(
        SubOrder.objects.filter(order__paid_at__isnull=False, vendor_order_id__isnull=True)
        .values_list("pk", flat=True)[:500]
    )
    for sub_order_id in ids:
        vendor_order_copy.delay(sub_order_id)
    return len(ids)


class TransferNotReady(Exception):
    """payouts' transfer is being sent or not created yet: worth retrying (payouts comes after
    fulfilment, so its errors are recognised by their stable codes, not imported)."""


@shared_task(
    autoretry_for=(TransferNotReady, GatewayUnavailable, OperationalError, InterfaceError), retry_backoff=30,
    retry_backoff_max=600, retry_jitter=True, max_retries=8, acks_late=True,
)
def cancelled_units_recover(sub_order_id: int, amount: int, refund_id: str) -> int:
    """The vendor refunded units it could not ship: reduce (or reverse) its transfer by its part.

    Payouts now queues its own task when it hears the refund event (docs/adr/0041); this one stays
    for messages queued before that and runs payouts' task by name (fulfillment comes before
    payouts). Idempotent by the refund id; retried while the transfer is being sent or not created.
    """
    from celery import current_app

    recover = current_app.tasks["payouts.tasks.transfer_recover_refund"]
    try:
        return int(recover.run(sub_order_id, amount, refund_id))
    except ApplicationError as exc:
        if exc.code in ("transfer_not_found", "transfer_state_conflict"):
            raise TransferNotReady(str(exc)) from exc
        raise
