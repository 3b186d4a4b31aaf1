"""Claim and chargeback policy: windows, SLAs, liability, business days, a vendor's return window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from disputes.errors import ClaimInvalid
from disputes.models import VendorClaimPolicy
from vendors.models import Vendor


def return_window_days(vendor: Vendor) -> int:
    override = VendorClaimPolicy.objects.filter(vendor=vendor).values_list("return_window_days", flat=True).first()
    if override is not None:
        return int(override)
    return int(getattr(settings, "DISPUTES_RETURN_WINDOW_DAYS", 30))


def claim_window_days() -> int:
    return int(getattr(settings, "DISPUTES_CLAIM_WINDOW_DAYS", 60))


def vendor_sla_business_days() -> int:
    return int(getattr(settings, "DISPUTES_VENDOR_SLA_BUSINESS_DAYS", 3))


def refund_commission_policy() -> bool:
    """True: the platform gives its commission back on refunds; False: it keeps it."""
    return str(getattr(settings, "DISPUTES_COMMISSION_ON_REFUND", "refunded")) == "refunded"


def chargeback_liability() -> str:
    """`vendor`: vendors bear lost chargebacks (amount and fee); `platform`: the platform does."""
    return str(getattr(settings, "DISPUTES_CHARGEBACK_LIABILITY", "vendor"))


def add_business_days(start: datetime, days: int) -> datetime:
    """`start` plus `days` working days (Monday to Friday; public holidays are not modelled)."""
    current = start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


@transaction.atomic
def vendor_claim_policy_set(*, vendor: Vendor, return_window_days: Any) -> VendorClaimPolicy:
    """The vendor's own return window (empty: the platform's default applies)."""
    if return_window_days in (None, ""):
        days = None
    else:
        try:
            days = int(str(return_window_days).strip())
        except ValueError:
            days = -1
        if not 0 <= days <= 365:
            raise ClaimInvalid(_("Enter a number of days between 0 and 365."),
                               fields={"return_window_days": [_("Between 0 and 365.")]})
    policy, _created = VendorClaimPolicy.objects.select_for_update().get_or_create(vendor=vendor)
    policy.return_window_days = days
    policy.save(update_fields=["return_window_days"])
    return policy
