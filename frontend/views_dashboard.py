"""The vendor's dashboard home: what happened, what waits, and what to do next.

It lives here, above every app, because it reads from most of them (sales and orders to ship
from fulfilment, claims and card disputes, payouts, the Stripe account, stock)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts import roles
from accounts.permissions import current_vendor, vendor_member_required
from catalog import selectors as catalog_selectors
from disputes import selectors as dispute_selectors
from fulfillment import selectors as fulfillment_selectors
from payouts import selectors as payout_selectors
from vendors import selectors as vendor_selectors

# How many of each waiting thing the overview lists; the rest are a link away.
LISTED = 5


def _first_and_count(queryset: Any) -> tuple[list[Any], int]:
    """Up to LISTED rows, and the total in the same query when they all fit."""
    rows = list(queryset[: LISTED + 1])
    if len(rows) <= LISTED:
        return rows, len(rows)
    return rows[:LISTED], queryset.count()


@vendor_member_required()
def overview(request: HttpRequest) -> HttpResponse:
    vendor = current_vendor(request)
    now = timezone.now()
    claims, claim_count = _first_and_count(dispute_selectors.claims_awaiting_vendor(vendor=vendor))
    chargebacks, chargeback_count = _first_and_count(dispute_selectors.chargebacks_open_for_vendor(vendor=vendor))
    low_stock, low_stock_count = _first_and_count(catalog_selectors.variants_low_stock())
    low_stock = catalog_selectors.variants_with_cover(low_stock, vendor_id=vendor.pk)
    can_see_money = roles.can_see_vendor_money(request.user, vendor)
    return render(request, "dashboard/home.html", {
        "sales": fulfillment_selectors.vendor_sales_figures(now=now),
        "to_ship": fulfillment_selectors.vendor_orders_to_ship(),
        "claims": claims, "claim_count": claim_count,
        "chargebacks": chargebacks, "chargeback_count": chargeback_count,
        "low_stock": low_stock, "low_stock_count": low_stock_count,
        "next_payout": payout_selectors.vendor_next_payout(vendor_id=vendor.pk) if can_see_money else None,
        "payments": vendor_selectors.payments_status(vendor=vendor),
        "role": roles.vendor_role(request.user, vendor),
        "can_manage_catalog": roles.can_manage_catalog(request.user, vendor),
    })
