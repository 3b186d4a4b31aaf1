"""Order emails to the buyer, and the platform's absolute URLs they link to."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from common.mail import send_mail_localized
from orders.models import Order
from orders.services.guest import order_link_token


def platform_url(path: str) -> str:
    from common.hosts import platform_url as host_platform_url

    return host_platform_url(path)


def order_confirmation_send(*, order_id: int) -> bool:
    order = (Order.objects.filter(pk=order_id).select_related("buyer")
             .prefetch_related("sub_orders__vendor", "lines").first())
    if order is None or not order.is_paid:
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
    return True
