"""Roles and every permission check of the platform, in one place (pages and API use these)."""

from __future__ import annotations

from typing import Any, Protocol

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class Vendor(Protocol):
    """A vendor as role checks see it (`vendors.Vendor`): accounts sits below vendors in the
    dependency order (docs/adr/0040), so it names the shape instead of importing the model."""

    @property
    def pk(self) -> Any: ...


class VendorRole(TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    STAFF = "staff", _("Staff")


# A higher rank includes every ability of the lower ones.
_RANK = {VendorRole.STAFF: 1, VendorRole.MANAGER: 2, VendorRole.OWNER: 3}


def is_platform_admin(user: Any) -> bool:
    return bool(
        user and user.is_authenticated and user.is_active
        and (user.platform_role == "admin" or user.is_superuser)
    )


def is_finance(user: Any) -> bool:
    return bool(
        user and user.is_authenticated and user.is_active
        and (user.platform_role == "finance" or is_platform_admin(user))
    )


def can_access_ops(user: Any) -> bool:
    return is_platform_admin(user) or is_finance(user)


def acts_as_platform_admin(user: Any) -> bool:
    """An admin whose admin powers are usable now: with two-factor authentication when staff
    must have it. Data that only admins may see uses this, so an admin account signed in with a
    password alone sees no more than any other user."""
    return is_platform_admin(user) and not staff_mfa_missing(user)


def staff_mfa_missing(user: Any) -> bool:
    """Platform staff (admins, finance) must have two-factor authentication before the console
    or its API lets them in (`PLATFORM_STAFF_REQUIRE_MFA`)."""
    from django.conf import settings

    if not settings.PLATFORM_STAFF_REQUIRE_MFA or not can_access_ops(user):
        return False
    from allauth.mfa.utils import is_mfa_enabled

    return not is_mfa_enabled(user)


def vendor_role(user: Any, vendor: Vendor | None) -> str | None:
    """The user's role in the vendor, or None. Cached on the user object per request."""
    if vendor is None or not (user and user.is_authenticated and user.is_active):
        return None
    cache: dict[int, str | None] = user.__dict__.setdefault("_vendor_roles", {})
    if vendor.pk not in cache:
        # `memberships`: the reverse of vendors.Membership.user (no import of vendors here).
        membership = (
            user.memberships.filter(vendor_id=vendor.pk, is_active=True)
            .values_list("role", flat=True)
            .first()
        )
        cache[vendor.pk] = membership
    return cache[vendor.pk]


def has_vendor_role(user: Any, vendor: Vendor | None, minimum: str = VendorRole.STAFF) -> bool:
    role = vendor_role(user, vendor)
    return role is not None and _RANK[VendorRole(role)] >= _RANK[VendorRole(minimum)]


def can_manage_catalog(user: Any, vendor: Vendor | None) -> bool:
    return has_vendor_role(user, vendor, VendorRole.STAFF)


def can_manage_members(user: Any, vendor: Vendor | None) -> bool:
    return has_vendor_role(user, vendor, VendorRole.OWNER)


def can_manage_store_settings(user: Any, vendor: Vendor | None) -> bool:
    return has_vendor_role(user, vendor, VendorRole.MANAGER)


def can_see_vendor_money(user: Any, vendor: Vendor | None) -> bool:
    return has_vendor_role(user, vendor, VendorRole.MANAGER)


# Accepting a claim, marking a return received and cancelling order lines refund the buyer: they
# move money, so they need the role that may see money (staff pick, pack and ship).
REFUNDS_MINIMUM_ROLE = VendorRole.MANAGER


def can_issue_refunds(user: Any, vendor: Vendor | None) -> bool:
    return has_vendor_role(user, vendor, REFUNDS_MINIMUM_ROLE)


# A reply to a review is published on the marketplace in the store's name, like its settings.
REVIEW_REPLY_MINIMUM_ROLE = VendorRole.MANAGER


def can_reply_to_reviews(user: Any, vendor: Vendor | None) -> bool:
    return has_vendor_role(user, vendor, REVIEW_REPLY_MINIMUM_ROLE)


def can_moderate_reviews(user: Any) -> bool:
    """Publish or hide reviews held for moderation or reported (reviews app)."""
    return acts_as_platform_admin(user)


# --- onboarding (vendors app) -----------------------------------------------------------------


# Admin powers below go through `acts_as_platform_admin`: an admin account signed in with a
# password alone (no two-factor while staff must have it) gets no more than any other user.


def can_review_applications(user: Any) -> bool:
    """Approve, reject, request changes; suspend and reinstate vendors."""
    return acts_as_platform_admin(user)


def can_download_application_document(user: Any, application: Any) -> bool:
    """Onboarding documents are private: the applicant and platform admins only."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return acts_as_platform_admin(user) or application.applicant_id == user.pk


def can_review_risky_orders(user: Any) -> bool:
    """Approve or refuse an order held for fraud review (orders.services.risk)."""
    return acts_as_platform_admin(user)


def can_retry_onboarding(user: Any, vendor: Vendor | None) -> bool:
    return acts_as_platform_admin(user) or has_vendor_role(user, vendor, VendorRole.OWNER)
