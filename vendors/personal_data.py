"""A seller's DAC7 identity in their privacy export and erasure (accounts.personal_data): an
individual seller's name, address, birth date, TIN, VAT ID and masked bank reference are theirs.
An identity of a store that sold is kept: the tax law obliges the platform to keep what it reported
(DAC7 record keeping, GDPR Art. 17(3)(b)); one of an application that never became a store goes."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from accounts.personal_data import Rows, personal_data_section
from accounts.roles import VendorRole
from vendors.models import SellerIdentity


def _identities_of(user: Any) -> Any:
    owned = Q(vendor__memberships__user=user, vendor__memberships__role=VendorRole.OWNER)
    return SellerIdentity.objects.filter(Q(application__applicant=user) | owned).distinct().order_by("pk")


@personal_data_section("seller_identity")
class SellerIdentityPersonalData:
    def export(self, user: Any) -> dict[str, Rows]:
        return {"seller_identities": [
            {"kind": i.kind, "legal_name": i.legal_name, "tin": i.tin, "tin_country": i.tin_country,
             "vat_id": i.vat_id, "street": i.street, "postal_code": i.postal_code, "city": i.city,
             "address_country": i.address_country, "birth_date": i.birth_date.isoformat() if i.birth_date else "",
             "business_registration_number": i.business_registration_number, "bank_account": i.iban_masked,
             "store": i.vendor_id or ""}
            for i in _identities_of(user)]}

    def erase(self, user: Any) -> dict[str, int]:
        unused = SellerIdentity.objects.filter(application__applicant=user, vendor__isnull=True)
        erased, _by_model = unused.delete()
        return {"seller_identities": erased}
