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
        DELIVERED = "delivered", _("Delivered")
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
    # When its last parcel arrived (a carrier's delivered event, or the vendor's hand-over).
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["new", "partially_shipped", "shipped", "delivered", "cancelled"]),
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
    # Promotions taken off the line at checkout (docs/adr/0094): the buyer paid line − discount.
    discount_amount = models.BigIntegerField(default=0, db_default=0)
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
    class Status(models.TextChoices):
        # EasyPost's tracker statuses, folded (docs/adr/0079).
        SHIPPED = "shipped", _("Shipped")
        IN_TRANSIT = "in_transit", _("In transit")
        OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
        AVAILABLE_FOR_PICKUP = "available_for_pickup", _("Ready for pickup")
        DELIVERED = "delivered", _("Delivered")
        EXCEPTION = "exception", _("Delivery problem")
        RETURNED = "returned", _("Returned to sender")

    vendor_order = models.ForeignKey(VendorOrder, on_delete=models.CASCADE, related_name="shipments")
    # A code of the carrier registry (fulfillment/carriers.py), or "other" with `carrier_name`.
    carrier = models.CharField(max_length=64)
    carrier_name = models.CharField(max_length=64, blank=True, default="", db_default="")
    tracking_number = models.CharField(max_length=64)
    shipped_at = models.DateTimeField(auto_now_add=True)
    user_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.SHIPPED,
                              db_default=Status.SHIPPED)
    # The time of the carrier event that set `status`: an older event arriving later changes nothing.
    status_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["shipped_at", "id"]
        indexes = [models.Index(fields=["tracking_number"], name="shipment_tracking_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="delivered", delivered_at__isnull=False) | ~Q(status="delivered"),
                name="shipment_delivered_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"

    @property
    def carrier_display(self) -> str:
        from fulfillment.carriers import carrier_display

        return carrier_display(self.carrier, self.carrier_name)

    @property
    def tracking_url(self) -> str:
        from fulfillment.carriers import tracking_url_for

        return tracking_url_for(self.carrier, self.tracking_number)


class ShipmentTrackingEvent(models.Model):
    """One carrier scan of a shipment, from a tracking provider's webhook or the vendor's hand-over
    (vendor schema, beside its shipment). Stored once per (shipment, fingerprint)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="tracking_events")
    status = models.CharField(max_length=24, choices=Shipment.Status.choices)
    message = models.CharField(max_length=300, blank=True)
    location = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField()
    source = models.CharField(max_length=24)  # a provider's name, or "vendor"
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "fingerprint"], name="shipmenttrackingevent_once"),
        ]

    def __str__(self) -> str:
        return f"{self.status} at {self.occurred_at:%Y-%m-%d %H:%M}"


class ShipmentLabel(models.Model):
    """A shipping label bought (or drawn locally) for a vendor order, before it ships."""

    vendor_order = models.ForeignKey(VendorOrder, on_delete=models.CASCADE, related_name="labels")
    provider = models.CharField(max_length=24)
    provider_label_id = models.CharField(max_length=64)
    carrier = models.CharField(max_length=64)
    tracking_number = models.CharField(max_length=64)
    pdf = models.BinaryField()
    international = models.BooleanField(default=False)
    user_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"label {self.carrier} {self.tracking_number}"


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
