"""`{% vendor_response_time vendor %}`: how fast a vendor typically answers, in words (or nothing)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from messaging.selectors import vendor_response_seconds

register = template.Library()


def response_time_label(seconds: float | None) -> str:
    if seconds is None:
        return ""
    hours = seconds / 3600
    if hours <= 1:
        return _("Usually answers within an hour")
    if hours <= 24:
        count = int(-(-hours // 1))
        return ngettext("Usually answers within %(n)s hour", "Usually answers within %(n)s hours", count) % {"n": count}
    days = int(-(-hours // 24))
    return ngettext("Usually answers within %(n)s day", "Usually answers within %(n)s days", days) % {"n": days}


@register.simple_tag
def vendor_response_time(vendor: Any) -> str:
    if vendor is None:
        return ""
    return response_time_label(vendor_response_seconds(vendor_id=vendor.pk))


@register.simple_tag
def order_threads(sub_order_id: int) -> list[Any]:
    """The buyer-vendor thread of an order part (the ops claim page links it once escalated)."""
    from messaging.selectors import threads_for_claim

    return list(threads_for_claim(sub_order_id=sub_order_id))
