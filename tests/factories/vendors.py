from __future__ import annotations

import factory

from accounts.models import User
from accounts.roles import VendorRole
from tests.factories.accounts import UserFactory
from vendors.models import Membership, Vendor
from vendors.services import vendor_create


class VendorFactory(factory.django.DjangoModelFactory):
    """A vendor row without a schema, for public-side tests that need no catalog."""

    class Meta:
        model = Vendor

    slug = factory.Sequence(lambda n: f"vendor{n}")
    name = factory.Sequence(lambda n: f"Vendor {n}")
    status = Vendor.Status.ACTIVE
    charges_enabled = True
    payouts_enabled = True


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    vendor = factory.SubFactory(VendorFactory)
    role = VendorRole.STAFF


def live_vendor(slug: str, *, owner: User | None = None, currency: str = "EUR") -> Vendor:
    """A vendor with a provisioned schema and domain, active and able to sell (idempotent)."""
    vendor = Vendor.objects.filter(slug=slug).select_related("store").first()
    if vendor is None:
        owner = owner or UserFactory(email=f"owner@{slug}.example.com")
        vendor = vendor_create(
            slug=slug, name=slug.title(), owner=owner, currency=currency,
            status=Vendor.Status.ACTIVE, provision_now=True,
        )
        Vendor.objects.filter(pk=vendor.pk).update(charges_enabled=True, payouts_enabled=True)
        vendor.refresh_from_db()
    from tests.factories.orders import shipping_default_ensure

    shipping_default_ensure(vendor)
    return vendor
