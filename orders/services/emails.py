"""Order emails to the buyer, and the platform's absolute URLs they link to."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from common.mail import send_mail_localized
from orders.models import Order


def platform_url(path: str) -> str:
    from common.hosts import platform_url as host_platform_url

    return host_platform_url(path)


def order_confirmation_send(*, order_id: int) -> bool:
    order = Order.objects.filter(pk=order_id).prefetch_related("sub_orders__vendor", "lines").first()
    if order is None or not order.is_paid:
        return False
    context = {"order": order, "order_url": platform_url(f"/orders/{order.pk}/")}
    send_mail_localized([order.email], lambda: (
        _("Your order %(number)s is confirmed") % {"number": order.number},
        render_to_string("orders/email/confirmation.txt", context),
    ))
    return True
