"""Carts, orders, vendor sub-orders and order lines (public schema).

Cross-schema references (products, variants, the vendor's fulfilment copy) are ids, never keys.
Amounts are integer minor units in the order's currency.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel


class Cart(TimeStampedModel):
    """A buyer's cart: anonymous by a session token, or the logged-in user's (one each)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="cart"
    )
    token = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return f"cart {self.pk}"


class CartItem(TimeStampedModel):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.CASCADE, related_name="+")
    product_id = models.BigIntegerField()
    variant_id = models.BigIntegerField()
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField()
    # The price when added: a different current price is shown to the buyer as a change.
    unit_price_amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    weight_grams = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["vendor_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "vendor", "variant_id"], name="cartitem_unique_variant"),
            models.CheckConstraint(condition=Q(quantity__gte=1, quantity__lte=999), name="cartitem_quantity_range"),
            models.CheckConstraint(condition=Q(unit_price_amount__gte=0), name="cartitem_price_gte_0"),
        ]


class Order(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
        PAID = "paid", _("Paid")
        PARTIALLY_FULFILLED = "partially_fulfilled", _("Partially shipped")
        FULFILLED = "fulfilled", _("Shipped")
        PAYMENT_FAILED = "payment_failed", _("Payment failed")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    class TaxDisplay(models.TextChoices):
        INCLUSIVE = "inclusive", _("Prices include tax")
        EXCLUSIVE = "exclusive", _("Tax added at checkout")

    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders")
    email = models.EmailField()
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.PENDING_PAYMENT)
    currency = models.CharField(max_length=3)
    tax_display = models.CharField(max_length=10, choices=TaxDisplay.choices)
    # Sum of line amounts as priced (tax included when `tax_display` is inclusive).
    subtotal_amount = models.BigIntegerField()
    shipping_amount = models.BigIntegerField()
    tax_amount = models.BigIntegerField()
    total_amount = models.BigIntegerField()
    commission_amount = models.BigIntegerField()
    # Promotions taken off the lines (docs/adr/0094); the total is what the buyer pays after them.
    discount_amount = models.BigIntegerField(default=0, db_default=0)
    # The checkout form's token: the same checkout submitted twice finds this order.
    checkout_token = models.CharField(max_length=64)
    payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    transfer_group = models.CharField(max_length=64, blank=True)
    reserved_until = models.DateTimeField(db_index=True)
    stock_released = models.BooleanField(default=False)
    paid_at = models.DateTimeField(null=True, blank=True)
    # Stripe Tax: the calculation priced at checkout and the transaction recorded once paid
    # (orders.tax_transactions); both "" when the data-rate calculator taxed the order.
    tax_calculation_id = models.CharField(max_length=64, blank=True, default="", db_default="")
    tax_transaction_id = models.CharField(max_length=64, blank=True, default="", db_default="")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    # Declined or failed attempts on this order's PaymentIntent; the buyer may try another card
    # until ORDERS_MAX_FAILED_PAYMENTS (a guard against card testing) or the reservation ends.
    failed_payment_attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    stripe_fee_amount = models.BigIntegerField(null=True, blank=True)
    ship_name = models.CharField(max_length=200)
    ship_line1 = models.CharField(max_length=200)
    ship_line2 = models.CharField(max_length=200, blank=True)
    ship_city = models.CharField(max_length=100)
    ship_region = models.CharField(max_length=100, blank=True)
    ship_postal_code = models.CharField(max_length=20)
    ship_country = models.CharField(max_length=2)
    # A business buyer's EU VAT ID, checked at checkout (reverse charge); "" for consumers.
    buyer_vat_id = models.CharField(max_length=20, blank=True, default="", db_default="")
    # The buyer's address at checkout (through the trusted proxy count): velocity rules per address.
    client_ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["buyer", "checkout_token"], name="order_checkout_token_once"),
            models.CheckConstraint(
                condition=Q(status__in=[
                    "pending_payment", "paid", "partially_fulfilled", "fulfilled",
                    "payment_failed", "cancelled", "refunded",
                ]),
                name="order_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(subtotal_amount__gte=0, shipping_amount__gte=0, tax_amount__gte=0,
                            commission_amount__gte=0, total_amount__gt=0, discount_amount__gte=0,
                            discount_amount__lte=F("subtotal_amount")),
                name="order_amounts_valid",
            ),
            models.CheckConstraint(
                condition=(
                    Q(tax_display="inclusive",
                      total_amount=F("subtotal_amount") - F("discount_amount") + F("shipping_amount"))
                    | Q(tax_display="exclusive",
                        total_amount=F("subtotal_amount") - F("discount_amount") + F("shipping_amount")
                        + F("tax_amount"))
                ),
                name="order_total_is_sum",
            ),
        ]

    def __str__(self) -> str:
        return f"order {self.pk}"

    @property
    def number(self) -> str:
        return f"{self.pk:06d}"

    @property
    def failure_reason(self) -> str:
        """What the buyer is told about the last failed attempt. Codes that hint at fraud
        (lost or stolen card) get the generic message, as card networks ask."""
        reasons = {
            "insufficient_funds": _("Your card has insufficient funds."),
            "expired_card": _("Your card has expired."),
            "incorrect_cvc": _("Your card's security code is incorrect."),
            "payment_intent_authentication_failure": _("Your bank did not confirm the payment (3-D Secure)."),
        }
        return str(reasons.get(self.failure_code, _("Your card was declined.")))

    @property
    def is_paid(self) -> bool:
        return self.status in {
            self.Status.PAID, self.Status.PARTIALLY_FULFILLED, self.Status.FULFILLED,
        }


class SubOrder(TimeStampedModel):
    """One vendor's part of an order: what it must ship and what it is owed."""

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
        PAID = "paid", _("Paid")
        PARTIALLY_FULFILLED = "partially_fulfilled", _("Partially shipped")
        FULFILLED = "fulfilled", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="sub_orders")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="sub_orders")
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.PENDING_PAYMENT)
    # The vendor's shipping method chosen at checkout (an id in the vendor's schema), snapshotted:
    # its name, kind, price and the business days it promised from order to arrival.
    shipping_rate_id = models.BigIntegerField(null=True, blank=True)
    shipping_name = models.CharField(max_length=100)
    shipping_amount = models.BigIntegerField()
    shipping_kind = models.CharField(max_length=10, blank=True, default="", db_default="")
    delivery_days_min = models.PositiveSmallIntegerField(null=True, blank=True)
    delivery_days_max = models.PositiveSmallIntegerField(null=True, blank=True)
    subtotal_amount = models.BigIntegerField()
    tax_amount = models.BigIntegerField()
    # What the buyer pays for this vendor's part (lines, shipping, and exclusive tax).
    total_amount = models.BigIntegerField()
    commission_amount = models.BigIntegerField()
    # Tax the platform owes as deemed supplier (a seller established outside the EU selling to an
    # EU consumer, docs/adr/0071): collected with the order, never part of the vendor's money.
    platform_tax_amount = models.BigIntegerField(default=0, db_default=0)
    # Promotions taken off this part's lines, and the part of them the platform funds (paid to the
    # vendor by the platform, docs/adr/0094).
    discount_amount = models.BigIntegerField(default=0, db_default=0)
    platform_discount_amount = models.BigIntegerField(default=0, db_default=0)
    # Owed to the vendor: total + platform-funded discount − commission − platform tax (the payouts
    # work transfers this).
    net_amount = models.BigIntegerField()
    refunded_amount = models.BigIntegerField(default=0)
    # The vendor's own currency and its net in it, converted once at checkout with the order's
    # rate snapshot (docs/adr/0086): what its transfer carries. Equal to the order's when the
    # vendor sells in the buyer's currency.
    settlement_currency = models.CharField(max_length=3, blank=True, default="", db_default="")
    settlement_net_amount = models.BigIntegerField(null=True, blank=True)
    # [{"carrier": "DHL", "tracking_number": "…", "shipped_at": "…"}], synced from the vendor.
    tracking = models.JSONField(default=list, blank=True)
    vendor_order_id = models.BigIntegerField(null=True, blank=True)
    vendor_notified_at = models.DateTimeField(null=True, blank=True)
    # When the vendor's last parcel arrived (synced from the vendor's copy; starts "N days after
    # delivery" payout holds).
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order_id", "vendor_id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "vendor"], name="suborder_one_per_vendor"),
            models.CheckConstraint(
                condition=Q(status__in=[
                    "pending_payment", "paid", "partially_fulfilled", "fulfilled", "delivered", "cancelled",
                    "refunded",
                ]),
                name="suborder_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(net_amount=F("total_amount") + F("platform_discount_amount") - F("commission_amount")
                            - F("platform_tax_amount")),
                name="suborder_net_is_total_plus_platform_discount_less_commission_and_tax",
            ),
            models.CheckConstraint(
                condition=Q(discount_amount__gte=0, platform_discount_amount__gte=0,
                            platform_discount_amount__lte=F("discount_amount")),
                name="suborder_discounts_valid",
            ),
            models.CheckConstraint(
                condition=Q(commission_amount__gte=0, shipping_amount__gte=0, tax_amount__gte=0,
                            refunded_amount__gte=0, refunded_amount__lte=F("total_amount"),
                            platform_tax_amount__gte=0, platform_tax_amount__lte=F("tax_amount")),
                name="suborder_amounts_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"order {self.order_id} · vendor {self.vendor_id}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sub_order = models.ForeignKey(SubOrder, on_delete=models.CASCADE, related_name="lines")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    product_id = models.BigIntegerField()
    variant_id = models.BigIntegerField()
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField()
    unit_price_amount = models.BigIntegerField()
    # quantity × unit price (tax included when the order's prices include tax).
    line_amount = models.BigIntegerField()
    tax_category = models.CharField(max_length=32, default="standard")
    tax_rate_bp = models.PositiveIntegerField(default=0)
    tax_amount = models.BigIntegerField(default=0)
    # Who owes the line's tax: the vendor, the platform (deemed supplier) or the buyer (reverse charge).
    tax_collector = models.CharField(max_length=8, default="vendor", db_default="vendor")
    commission_rule_id = models.BigIntegerField(null=True, blank=True)
    commission_amount = models.BigIntegerField(default=0)
    # Promotions taken off the line (snapshot, docs/adr/0094): what the buyer pays for it is
    # line_amount − discount_amount; the platform-funded part is paid to the vendor by the platform.
    discount_amount = models.BigIntegerField(default=0, db_default=0)
    platform_discount_amount = models.BigIntegerField(default=0, db_default=0)
    # The promotions' names as the buyer saw them ("SUMMER10", "Winter sale").
    discount_label = models.CharField(max_length=200, blank=True, default="", db_default="")
    shipped_quantity = models.PositiveIntegerField(default=0)
    cancelled_quantity = models.PositiveIntegerField(default=0)
    refunded_amount = models.BigIntegerField(default=0)
    # Units sold beyond the vendor's stock (backorder or pre-order), as the reservation found them,
    # and the date they ship from when the vendor gave one.
    backordered_quantity = models.PositiveIntegerField(default=0, db_default=0)
    ships_from = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["sub_order_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="orderline_quantity_gte_1"),
            models.CheckConstraint(
                condition=Q(line_amount=F("quantity") * F("unit_price_amount")),
                name="orderline_amount_is_qty_times_price",
            ),
            models.CheckConstraint(
                condition=Q(shipped_quantity__lte=F("quantity") - F("cancelled_quantity")),
                name="orderline_shipped_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(tax_amount__gte=0, commission_amount__gte=0, refunded_amount__gte=0),
                name="orderline_amounts_gte_0",
            ),
            models.CheckConstraint(condition=Q(backordered_quantity__lte=F("quantity")),
                                   name="orderline_backordered_within_quantity"),
            models.CheckConstraint(
                condition=Q(discount_amount__gte=0, discount_amount__lte=F("line_amount"),
                            platform_discount_amount__gte=0, platform_discount_amount__lte=F("discount_amount")),
                name="orderline_discount_within_line",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.shipped_quantity - self.cancelled_quantity

    @property
    def paid_amount(self) -> int:
        """What the buyer paid for the line (before exclusive tax), after its discounts."""
        return self.line_amount - self.discount_amount


class OrderReview(TimeStampedModel):
    """A paid order held for the ops review queue (Radar's `elevated` risk, or a velocity rule's
    soft limit): its vendors may not ship it and its transfers stay held until a platform admin
    approves it; refusing it refunds and cancels every part. Each decision is also an order
    event (who, when, why), the order's audit trail."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="review")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Why it was held: ["radar_elevated", "velocity:buyer:orders", ...].
    reasons = models.JSONField(default=list)
    risk_level = models.CharField(max_length=16, blank=True)
    risk_score = models.PositiveSmallIntegerField(null=True, blank=True)
    charge_id = models.CharField(max_length=255, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="orderreview_status_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["pending", "approved", "refused"]),
                                   name="orderreview_status_valid"),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True) | Q(~Q(status="pending"), decided_at__isnull=False),
                name="orderreview_decided_iff_not_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"review of order {self.order_id} ({self.status})"

    @property
    def reason_labels(self) -> list[str]:
        labels = {
            "radar_elevated": _("Stripe Radar: elevated risk"),
            "radar_highest": _("Stripe Radar: highest risk"),
        }
        out = []
        for code in self.reasons:
            if code in labels:
                out.append(str(labels[code]))
            elif code.startswith("velocity:"):
                _prefix, per, metric = [*code.split(":"), "", ""][:3]
                out.append(str(_("Velocity: %(metric)s per %(per)s in the last hour") % {
                    "metric": metric.replace("_", " "), "per": per}))
            else:
                out.append(code)
        return out


class OrderEvent(models.Model):
    """One step in an order's history: a status move of the order or of one vendor's part, or a
    money step on it (a refund). Append-only: rows are written once by `orders.events` and never
    updated; the buyer sees the `buyer` audience, the vendor that and `vendor`, ops everything."""

    class ActorKind(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        VENDOR = "vendor", _("Vendor")
        STAFF = "staff", _("Staff")
        SYSTEM = "system", _("System")
        WEBHOOK = "webhook", _("Payment provider")

    class Audience(models.TextChoices):
        BUYER = "buyer", _("Everyone on the order")
        VENDOR = "vendor", _("Vendor and staff")
        STAFF = "staff", _("Staff only")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    sub_order = models.ForeignKey(SubOrder, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    # "order.paid", "sub_order.fulfilled", "sub_order.refund"…: what subscribers listen to.
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    actor_kind = models.CharField(max_length=8, choices=ActorKind.choices)
    audience = models.CharField(max_length=8, choices=Audience.choices)
    reason = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["order", "created_at"], name="orderevent_order_time_idx"),
            models.Index(fields=["sub_order", "created_at"], name="orderevent_sub_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(actor_kind__in=["buyer", "vendor", "staff", "system", "webhook"]),
                name="orderevent_actor_kind_valid",
            ),
            models.CheckConstraint(condition=Q(audience__in=["buyer", "vendor", "staff"]),
                                   name="orderevent_audience_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on order {self.order_id}"


class ExchangeRate(models.Model):
    """A daily reference rate: units of `currency` for one unit of `base` on `date`, from `source`
    (the ECB publishes against EUR once a working day). Rows are written by `rates_store` only."""

    source = models.CharField(max_length=16)
    date = models.DateField()
    base = models.CharField(max_length=3)
    currency = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=24, decimal_places=10)
    fetched_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "currency"]
        indexes = [models.Index(fields=["base", "currency", "-date"], name="exchangerate_lookup_idx")]
        constraints = [
            models.UniqueConstraint(fields=["source", "date", "base", "currency"], name="exchangerate_once_per_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchangerate_rate_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.date} 1 {self.base} = {self.rate} {self.currency}"


class OrderExchangeRate(models.Model):
    """The rate an order used for one currency pair, frozen at checkout: prices, transfers,
    refunds and chargebacks of the order convert with it and nothing else."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="exchange_rates")
    # `target` per one `source` (major units): vendor currency → the order's presentment currency.
    source_currency = models.CharField(max_length=3)
    target_currency = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=24, decimal_places=10)
    # The inverse, rounded once and kept: what the vendor's settlement converts back with.
    inverse_rate = models.DecimalField(max_digits=24, decimal_places=10)
    rate_date = models.DateField()
    rate_source = models.CharField(max_length=16)

    class Meta:
        ordering = ["order_id", "source_currency"]
        constraints = [
            models.UniqueConstraint(fields=["order", "source_currency", "target_currency"],
                                    name="orderexchangerate_once_per_pair"),
            models.CheckConstraint(condition=Q(rate__gt=0, inverse_rate__gt=0), name="orderexchangerate_rates_gt_0"),
        ]

    def __str__(self) -> str:
        return f"order {self.order_id}: 1 {self.source_currency} = {self.rate} {self.target_currency}"


class TrackingReceipt(models.Model):
    """One tracking webhook from a carrier aggregator, stored once by its event id on the platform
    host before it is routed to the vendor schema of its shipment (docs/adr/0079). An event for a
    tracking number no sub-order knows stays here as unmatched, never lost."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        UNMATCHED = "unmatched", _("No matching shipment")
        DUPLICATE = "duplicate", _("Already applied")

    provider = models.CharField(max_length=24)
    event_id = models.CharField(max_length=100)
    tracking_number = models.CharField(max_length=64, db_index=True)
    carrier = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=24, blank=True)
    payload = models.JSONField()
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    sub_order_id = models.BigIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="trackingreceipt_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id} ({self.outcome})"
