"""DRF permission classes and view decorators built on `accounts.roles` (the single source)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts import roles
from accounts.roles import VendorRole


def current_vendor(request: HttpRequest | Request) -> Any:
    """The vendor whose host served this request (None on the public site)."""
    tenant = getattr(request, "tenant", None)
    return getattr(tenant, "vendor", None) if tenant is not None else None


class MfaRequired(DRFPermissionDenied):
    default_detail = _("Set up two-factor authentication on your account to use the platform console.")
    default_code = "mfa_required"


def _staff_allowed(request: Request, check: Callable[[Any], bool]) -> bool:
    # Two-factor first: checks built on `acts_as_platform_admin` refuse staff without it, who
    # must be told to set it up rather than be refused.
    if roles.staff_mfa_missing(request.user):
        raise MfaRequired
    return check(request.user)


class IsPlatformAdmin(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return _staff_allowed(request, roles.is_platform_admin)


class IsFinance(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return _staff_allowed(request, roles.is_finance)


def vendor_permission(minimum: str = VendorRole.STAFF) -> type[BasePermission]:
    """Permission class: the user is a member of the vendor of this host with `minimum` role."""

    class _HasVendorRole(BasePermission):
        def has_permission(self, request: Request, view: Any) -> bool:
            return roles.has_vendor_role(request.user, current_vendor(request), minimum)

    _HasVendorRole.__name__ = f"HasVendorRole_{minimum}"
    return _HasVendorRole


IsVendorStaff = vendor_permission(VendorRole.STAFF)
IsVendorManager = vendor_permission(VendorRole.MANAGER)
IsVendorOwner = vendor_permission(VendorRole.OWNER)
CanIssueRefunds = vendor_permission(roles.REFUNDS_MINIMUM_ROLE)
CanReplyToReviews = vendor_permission(roles.REVIEW_REPLY_MINIMUM_ROLE)

ViewFunc = Callable[..., HttpResponse]


def ops_required(check: Callable[[Any], bool] = roles.can_access_ops) -> Callable[[ViewFunc], ViewFunc]:
    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            # Two-factor first (as in `_staff_allowed`): staff without it are sent to set it up.
            if roles.staff_mfa_missing(request.user):
                messages.warning(request, _("Platform staff must use two-factor authentication. Set up an "
                                            "authenticator app to continue."))
                return redirect("mfa_activate_totp")
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def vendor_member_required(minimum: str = VendorRole.STAFF) -> Callable[[ViewFunc], ViewFunc]:
    """Dashboard pages: only members of this host's vendor; others are sent to log in or get 404."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            vendor = current_vendor(request)
            if vendor is None:
                raise Http404
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if roles.vendor_role(request.user, vendor) is None:
                # Not a member: the dashboard does not exist for this user.
                raise Http404
            if not roles.has_vendor_role(request.user, vendor, minimum):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
