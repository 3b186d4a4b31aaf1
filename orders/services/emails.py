"""Order emails to the buyer, and the platform's absolute URLs they link to."""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.mail import send_mail_localized
from orders.events import order_event_record
from orders.models import Order
from orders.services.guest import order_link_token


def platform_url(path: str) -> str:
    from common.hosts import platform_url as host_platform_url

    return host_platform_url(path)


CONFIRMATION_SENT = "order.confirmation_sent"
# A paid order without its confirmation after this long lost its task (the beat queues it again);
# after a day the email would come too late to be of use.
CONFIRMATION_LATE_AFTER = dt.timedelta(minutes=10)
CONFIRMATION_GIVE_UP_AFTER = dt.timedelta(days=1)


def order_confirmation_send(*, order_id: int) -> bool:
    """Email the buyer once: sending is recorded as an order event (staff audience), and an order
    with that event is not sent again. A worker killed between the mail server's answer and the
    record sends it twice; one killed before sending sends it on redelivery or from the sweep."""
    order = (Order.objects.filter(pk=order_id).select_related("buyer")
             .prefetch_related("sub_orders__vendor", "lines").first())
    if order is None or not order.is_paid or order.events.filter(kind=CONFIRMATION_SENT).exists():
        return False
    guest = order.buyer.is_guest
    if guest:
        # A guest has no account to sign in to: the signed link opens this order (and offers one).
        order_url = platform_url(reverse("order-track", args=[order_link_token(order=order, claim=True)],
                                         urlconf="config.urls_public"))
    else:
        order_url = platform_url(f"/orders/{order.pk}/")
    context = {"order": order, "order_url": order_url, "guest": guest}
    send_mail_localized([order.email], lambda: (
        _("Your order %(number)s is confirmed") % {"number": order.number},
        render_to_string("orders/email/confirmation.txt", context),
    ))
    order_event_record(order_id=order.pk, kind=CONFIRMATION_SENT, data={"to": order.email})
    return True


def orders_confirmation_unsent(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Paid orders (in the last day) whose confirmation was never recorded as sent."""
    now = now or timezone.now()
    return list(
        Order.objects.filter(paid_at__lt=now - CONFIRMATION_LATE_AFTER, paid_at__gte=now - CONFIRMATION_GIVE_UP_AFTER)
        .exclude(events__kind=CONFIRMATION_SENT).order_by("paid_at").values_list("pk", flat=True)[:limit]
    )
