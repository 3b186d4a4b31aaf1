"""A return restocked by a claim reaches the marketplace listing (through the vendor's outbox)."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from disputes import services
from marketplace.models import Listing
from tests.factories.orders import sellable_variant, variant_stock

pytestmark = pytest.mark.django_db


def _relay(vendor) -> None:
    """What the outbox relay task does for this vendor: publish its pending events now."""
    from catalog.services import outbox_publish_pending

    with schema_context(vendor.store.schema_name):
        outbox_publish_pending()


def test_returned_units_put_a_sold_out_listing_back_in_stock(buyer, vendor_a, owner_a, paid_order):
    variant = sellable_variant(vendor_a, price=1000, stock=2)
    order = paid_order((vendor_a, variant, 2))
    _relay(vendor_a)
    listing = Listing.objects.get(vendor=vendor_a, product_id=variant.product_id)
    assert (listing.stock_total, listing.in_stock) == (0, False)

    sub = order.sub_orders.get(vendor=vendor_a)
    claim = services.claim_open(buyer=buyer, order_id=order.pk, sub_order_id=sub.pk, reason="return",
                                description="Wrong size", lines={sub.lines.get().pk: 1})
    services.claim_accept(claim_id=claim.pk, vendor=vendor_a, user=owner_a, return_required=True,
                          return_instructions="Ship to Alpha, Lagerstr. 1")
    services.claim_return_received(claim_id=claim.pk, vendor=vendor_a, user=owner_a)
    assert variant_stock(vendor_a, variant.pk) == 1
    _relay(vendor_a)

    listing.refresh_from_db()
    assert (listing.stock_total, listing.in_stock) == (1, True)
