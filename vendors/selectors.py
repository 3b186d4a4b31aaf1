"""Vendor reads."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from vendors.models import Vendor


def vendors_for_user(*, user: Any) -> QuerySet[Vendor]:
    return Vendor.objects.filter(
        memberships__user=user, memberships__is_active=True
    ).select_related("store")


def vendors_selling() -> QuerySet[Vendor]:
    return Vendor.objects.filter(status=Vendor.Status.ACTIVE, charges_enabled=True)
