"""Template context shared by every side: the platform, the host's vendor, the user's roles."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from accounts import roles
from frontend import urls


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
    }
