"""factory-boy factories for every model; import from here."""

from tests.factories.accounts import UserFactory
from tests.factories.catalog import ProductFactory
from tests.factories.disputes import ChargebackFactory, ClaimFactory
from tests.factories.orders import OrderFactory, PaymentRecordFactory, VendorOrderFactory
from tests.factories.payouts import TransferFactory
from tests.factories.tenants import DomainFactory, StoreFactory
from tests.factories.vendors import MembershipFactory, VendorFactory, live_vendor

__all__ = [
    "ChargebackFactory",
    "ClaimFactory",
    "DomainFactory",
    "MembershipFactory",
    "OrderFactory",
    "PaymentRecordFactory",
    "ProductFactory",
    "StoreFactory",
    "TransferFactory",
    "UserFactory",
    "VendorFactory",
    "VendorOrderFactory",
    "live_vendor",
]
