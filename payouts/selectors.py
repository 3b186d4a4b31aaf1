"""Commission rule reads."""

from __future__ import annotations

from django.db.models import QuerySet

from payouts.models import CommissionRule


def commission_rules_list(
    *, scope: str | None = None, vendor_id: int | None = None, currency: str | None = None
) -> QuerySet[CommissionRule]:
    rules = CommissionRule.objects.select_related("vendor").order_by(
        "scope", "vendor_id", "category_id", "currency", "-valid_from", "-id"
    )
    if scope:
        rules = rules.filter(scope=scope)
    if vendor_id:
        rules = rules.filter(vendor_id=vendor_id)
    if currency:
        rules = rules.filter(currency=currency)
    return rules
