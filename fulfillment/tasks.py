"""Vendor-side background work: creating the fulfilment copy of a paid sub-order, and the sweep."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context


@shared_task(bind=True, max_retries=8, acks_late=True, default_retry_delay=5)
def vendor_order_copy(self, sub_order_id: int) -> str:  # type: ignore[no-untyped-def]
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


def vendor_team_emails(vendor: Any) -> set[str]:
    """Who hears about a vendor's orders: its active owners and managers, and its support address."""
    from vendors.models import Membership

    emails = set(
        Membership.objects.filter(vendor=vendor, is_active=True, role__in=["owner", "manager"])
        .values_list("user__email", flat=True)
    )
    if vendor.support_email:
        emails.add(vendor.support_email)
    return emails


def _vendor_notify(sub_order_id: int) -> None:
    from orders.models import SubOrder

    sub = SubOrder.objects.select_related("vendor", "order").get(pk=sub_order_id)
    emails = vendor_team_emails(sub.vendor)
    if not emails:
        return
    from common.mail import send_mail_localized
    from frontend.urls import vendor_url

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


@shared_task(bind=True, max_retries=8, acks_late=True, default_retry_delay=30)
def cancelled_units_recover(  # type: ignore[no-untyped-def]
    self, sub_order_id: int, amount: int, refund_id: str
) -> int:
    """The vendor refunded units it could not ship: reduce (or reverse) its transfer by its part.

    Payouts now queues its own task when it hears the refund event (docs/adr/0041); this one stays
    for messages queued before that and runs payouts' task by name (fulfillment comes before
    payouts). Idempotent by the refund id; retried while the transfer is being sent or not created.
    """
    from celery import current_app

    from common.exceptions import ApplicationError

    recover = current_app.tasks["payouts.tasks.transfer_recover_refund"]
    try:
        return int(recover.run(sub_order_id, amount, refund_id))
    except ApplicationError as exc:
        if exc.code in ("transfer_not_found", "transfer_state_conflict"):
            raise self.retry(exc=exc) from exc
        raise
