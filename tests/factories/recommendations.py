"""Orders for the recommendation tests: the rows a paid checkout leaves (order, one part per
vendor, a line per listing), made straight in the database so each test states its baskets."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from marketplace.models import Listing
from orders.models import Order, OrderLine, SubOrder

_tokens = itertools.count(1)
_SUB_STATUS = {"pending_payment": "pending_payment", "paid": "paid", "partially_fulfilled": "partially_fulfilled",
               "fulfilled": "fulfilled", "payment_failed": "cancelled", "cancelled": "cancelled",
               "refunded": "refunded"}


def basket_order(buyer: Any, listings: list[Listing], *, status: str = Order.Status.PAID,
                 paid_at: datetime | None = None) -> Order:
    """One order of `buyer` holding one unit of each listing (prices 1000 each; amounts consistent)."""
    now = timezone.now()
    paid = status in (Order.Status.PAID, Order.Status.PARTIALLY_FULFILLED, Order.Status.FULFILLED,
                      Order.Status.REFUNDED)
    total = 1000 * len(listings)
    order = Order.objects.create(
        buyer=buyer, email=buyer.email, status=status, currency="EUR", tax_display="inclusive",
        subtotal_amount=total, shipping_amount=0, tax_amount=0, total_amount=total, commission_amount=0,
        checkout_token=f"recs-{next(_tokens)}", reserved_until=now + timedelta(minutes=15),
        paid_at=(paid_at or now) if paid else None,
        ship_name="B", ship_line1="L", ship_city="C", ship_postal_code="1", ship_country="DE",
    )
    parts: dict[int, SubOrder] = {}
    for listing in listings:
        if listing.vendor_id not in parts:
            amount = 1000 * sum(1 for x in listings if x.vendor_id == listing.vendor_id)
            parts[listing.vendor_id] = SubOrder.objects.create(
                order=order, vendor_id=listing.vendor_id, status=_SUB_STATUS[status],
                shipping_name="Standard", shipping_amount=0, subtotal_amount=amount, tax_amount=0,
                total_amount=amount, commission_amount=0, net_amount=amount)
        OrderLine.objects.create(order=order, sub_order=parts[listing.vendor_id], vendor_id=listing.vendor_id,
                                 product_id=listing.product_id, variant_id=1, sku=listing.title[:20],
                                 name=listing.title, quantity=1, unit_price_amount=1000, line_amount=1000)
    return order
