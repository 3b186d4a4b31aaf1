"""factory-boy factories for every model; import from here."""

from tests.factories.accounts import UserFactory
from tests.factories.catalog import ProductFactory
from tests.factories.tenants import DomainFactory, StoreFactory
from tests.factories.vendors import MembershipFactory, VendorFactory, live_vendor

__all__ = [
    "DomainFactory",
    "MembershipFactory",
    "ProductFactory",
    "StoreFactory",
    "UserFactory",
    "VendorFactory",
    "live_vendor",
]
