"""Template context shared by every side: the platform, the host's vendor, the user's roles."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language

from accounts import roles
from common.money import SUPPORTED_CURRENCIES
from frontend import urls
from orders.currency import buyer_currency
from vendors.selectors import vendors_for_user


def platform(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    vendor = getattr(tenant, "vendor", None) if tenant is not None and not tenant.is_public else None
    user = getattr(request, "user", None)
    return {
        "platform_name": settings.PLATFORM_NAME,
        "platform_url": urls.platform_url("", request),
        "current_vendor": vendor,
        "can_access_ops": roles.can_access_ops(user),
        "is_finance": roles.is_finance(user),
        "is_platform_admin": roles.is_platform_admin(user),
        "can_see_money": roles.can_see_vendor_money(user, vendor) if vendor is not None else False,
        "can_issue_refunds": roles.can_issue_refunds(user, vendor) if vendor is not None else False,
        # The header's currency switcher (orders/currency.py: the buyer's choice, else a default).
        "buyer_currency": SimpleLazyObject(lambda: _buyer_currency(request)),
        "currencies": SUPPORTED_CURRENCIES,
        # Read only by headers that show it (one query, for signed-in people only).
        "dashboard_links": SimpleLazyObject(lambda: dashboard_links(request, user, vendor)),
    }


def _buyer_currency(request: HttpRequest) -> str:
    session = getattr(request, "session", None)
    return buyer_currency(session=session, language=get_language() or "")[1]


def dashboard_links(request: HttpRequest, user: Any, vendor: Any) -> list[dict[str, str]]:
    """The dashboards the signed-in person works in: on a vendor's host only that vendor's (if
    they are its staff), on the marketplace every store they belong to."""
    if user is None or not user.is_authenticated:
        return []
    if vendor is not None:
        vendors = [vendor] if roles.vendor_role(user, vendor) else []
    else:
        vendors = list(vendors_for_user(user=user).order_by("name"))
    return [{"name": each.name, "url": urls.vendor_url(each, "/dashboard/", request)} for each in vendors]
