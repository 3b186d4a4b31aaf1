"""Vendor writes: creating a vendor with its store, memberships."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.roles import VendorRole
from common.exceptions import Conflict
from tenants import services as tenant_services
from vendors.models import Membership, Vendor


def vendor_create(
    *,
    slug: str,
    name: str,
    owner: Any,
    currency: str = "EUR",
    country: str = "DE",
    status: str = Vendor.Status.ONBOARDING,
    provision_now: bool = False,
) -> Vendor:
    """Create the vendor, its store record and its owner membership.

    The schema is provisioned by a task after commit, or at once with `provision_now`
    (management commands, demo data, tests).
    """
    slug = tenant_services.slug_validate(slug)
    with transaction.atomic():
        if Vendor.objects.filter(slug=slug).exists():
            raise Conflict(f"The store “{slug}” already exists.", code="slug_taken")
        store = tenant_services.store_create(slug=slug, name=name)
        vendor = Vendor.objects.create(
            slug=slug, name=name, store=store, currency=currency, country=country, status=status
        )
        Membership.objects.create(user=owner, vendor=vendor, role=VendorRole.OWNER)
        if not provision_now:
            tenant_services.store_provision_async(store_id=store.pk)
    if provision_now:
        vendor.store = tenant_services.store_provision(store_id=store.pk)
    return vendor


@transaction.atomic
def membership_add(*, vendor: Vendor, user: Any, role: str) -> Membership:
    membership, created = Membership.objects.get_or_create(
        vendor=vendor, user=user, defaults={"role": role}
    )
    if not created:
        raise Conflict("This user is already a member of the store.", code="already_member")
    return membership
