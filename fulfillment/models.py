"""A vendor's copy of the orders it must fulfil, and its shipments (vendor schema).

Rows refer to the public side by ids only (`sub_order_id`, `order_line_id`): no cross-schema keys.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel


class VendorOrder(TimeStampedModel):
    class Status(models.TextChoices):
        NEW = "new", _("To ship")
        PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
        SHIPPED = "shipped", _("Shipped")
        CANCELLED = "cancelled", _("Cancelled")

    sub_order_id = models.BigIntegerField(unique=True)
    order_id = models.BigIntegerField(db_index=True)
    order_number = models.CharField(max_length=20)
    payment_intent_id = models.CharField(max_length=255)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    buyer_email = models.EmailField()
    currency = models.CharField(max_length=3)
    tax_display = models.CharField(max_length=10)
    subtotal_amount = models.BigIntegerField()
    shipping_amount = models.BigIntegerField()
    tax_amount = models.BigIntegerField()
    total_amount = models.BigIntegerField()
    refunded_amount = models.BigIntegerField(default=0)
    shipping_name = models.CharField(max_length=100)
    ship_name = models.CharField(max_length=200)
    ship_line1 = models.CharField(max_length=200)
    ship_line2 = models.CharField(max_length=200, blank=True)
    ship_city = models.CharField(max_length=100)
    ship_region = models.CharField(max_length=100, blank=True)
    ship_postal_code = models.CharField(max_length=20)
    ship_country = models.CharField(max_length=2)
    placed_at = models.DateTimeField()

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["new", "partially_shipped", "shipped", "cancelled"]),
                name="vendororder_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("total_amount")),
                name="vendororder_refund_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"order {self.order_number}"


class VendorOrderLine(models.Model):
    vendor_order = models.ForeignKey(VendorOrder, on_delete=models.CASCADE, related_name="lines")
    order_line_id = models.BigIntegerField(unique=True)
    product_id = models.BigIntegerField()
    variant_id = models.BigIntegerField()
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField()
    unit_price_amount = models.BigIntegerField()
    line_amount = models.BigIntegerField()
    tax_amount = models.BigIntegerField(default=0)
    shipped_quantity = models.PositiveIntegerField(default=0)
    cancelled_quantity = models.PositiveIntegerField(default=0)
    refunded_amount = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(shipped_quantity__lte=F("quantity") - F("cancelled_quantity")),
                name="vendororderline_shipped_within_quantity",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="vendororderline_quantity_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.shipped_quantity - self.cancelled_quantity


class Shipment(models.Model):
    vendor_order = models.ForeignKey(VendorOrder, on_delete=models.CASCADE, related_name="shipments")
    carrier = models.CharField(max_length=64)
    tracking_number = models.CharField(max_length=64)
    shipped_at = models.DateTimeField(auto_now_add=True)
    user_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["shipped_at", "id"]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(VendorOrderLine, on_delete=models.CASCADE, related_name="shipment_lines")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="shipmentline_quantity_gte_1"),
            models.UniqueConstraint(fields=["shipment", "line"], name="shipmentline_once"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of line {self.line_id}"


class VendorOrderEvent(models.Model):
    """One step in the vendor's own history of an order (append-only, in the vendor's schema).

    The actor is an id and an email, not a key: users live in the public schema."""

    vendor_order = models.ForeignKey(VendorOrder, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_email = models.CharField(max_length=254, blank=True)
    # buyer, vendor, staff or system (as orders.OrderEvent.ActorKind).
    actor_kind = models.CharField(max_length=8)
    reason = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["vendor_order", "created_at"], name="vendororderevent_time_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on vendor order {self.vendor_order_id}"


# The shipping settings live in their own module; imported here so Django sees the models.
from fulfillment.shipping.models import (  # noqa: E402
    ShippingMethod as ShippingMethod,
)
from fulfillment.shipping.models import (  # noqa: E402
    ShippingProfile as ShippingProfile,
)
from fulfillment.shipping.models import (  # noqa: E402
    ShippingRateBand as ShippingRateBand,
)
from fulfillment.shipping.models import (  # noqa: E402
    ShippingZone as ShippingZone,
)
