"""Promotions (coupon codes and automatic promotions, vendor sales), the code a cart carries,
and each order's use of a promotion (public schema; docs/adr/0094).

A promotion is funded by the platform (ops console) or by one vendor (its dashboard: scheduled
sales and its own codes). Products are named by id within the owning vendor, as everywhere in the
public schema (no key into a vendor's schema).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel


class Promotion(TimeStampedModel):
    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percentage off")
        FIXED = "fixed", _("Fixed amount off")

    class Funding(models.TextChoices):
        PLATFORM = "platform", _("The platform")
        VENDOR = "vendor", _("The vendor")

    name = models.CharField(max_length=100)
    # A code the buyer types (stored upper-case, unique whatever the case), or "" for an automatic
    # promotion (a vendor's sale) that applies by itself to what it covers.
    code = models.CharField(max_length=32, blank=True, default="")
    # The vendor that runs and funds it; None for the platform's promotions.
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="promotions")
    funded_by = models.CharField(max_length=8, choices=Funding.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # Percentage in basis points (1500 = 15 %), or a fixed amount in minor units of `currency`.
    percent_bp = models.PositiveIntegerField(default=0)
    amount = models.BigIntegerField(default=0)
    # The currency of `amount` and `min_order_amount`; "" for a percentage without a minimum.
    currency = models.CharField(max_length=3, blank=True, default="")
    # What the covered items must cost together (before discounts) for it to apply.
    min_order_amount = models.BigIntegerField(default=0)
    # Scope: empty lists cover everything (of the owning vendor when there is one).
    vendor_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    category_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    # Products of the owning vendor (ids in its schema); only for a vendor's promotion.
    product_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    # Orders that may use it in all, and per buyer; None: no limit.
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    max_uses_per_buyer = models.PositiveIntegerField(null=True, blank=True)
    # Orders holding or having used it (held while unpaid, given back when payment fails or expires).
    uses_count = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["vendor", "active"], name="promotion_vendor_active_idx")]
        constraints = [
            models.UniqueConstraint(Upper("code"), condition=~Q(code=""), name="promotion_code_unique"),
            models.CheckConstraint(condition=Q(kind__in=["percent", "fixed"]), name="promotion_kind_valid"),
            models.CheckConstraint(
                condition=Q(funded_by="platform", vendor__isnull=True) | Q(funded_by="vendor", vendor__isnull=False),
                name="promotion_vendor_funds_its_own",
            ),
            models.CheckConstraint(
                condition=(Q(kind="percent", percent_bp__gte=1, percent_bp__lte=10000, amount=0)
                           | Q(kind="fixed", amount__gt=0, percent_bp=0) & ~Q(currency="")),
                name="promotion_value_valid",
            ),
            models.CheckConstraint(condition=Q(min_order_amount__gte=0), name="promotion_min_order_gte_0"),
            models.CheckConstraint(condition=Q(min_order_amount=0) | ~Q(currency=""),
                                   name="promotion_min_order_has_currency"),
            models.CheckConstraint(condition=Q(product_ids=[]) | Q(vendor__isnull=False),
                                   name="promotion_products_of_its_vendor"),
            models.CheckConstraint(condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True)
                                   | Q(ends_at__gt=F("starts_at")), name="promotion_ends_after_start"),
            models.CheckConstraint(condition=Q(max_uses__isnull=True) | Q(uses_count__lte=F("max_uses")),
                                   name="promotion_uses_within_limit"),
        ]

    def __str__(self) -> str:
        return self.code or self.name

    @property
    def label(self) -> str:
        return self.code or self.name

    @property
    def percent_text(self) -> str:
        """15 %, 12.5 % (basis points shown as a percentage, no float arithmetic)."""
        whole, rest = divmod(self.percent_bp, 100)
        return f"{whole} %" if not rest else f"{whole}.{rest:02d}".rstrip("0") + " %"

    @property
    def is_automatic(self) -> bool:
        return not self.code

    def running(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return (self.active and (self.starts_at is None or self.starts_at <= at)
                and (self.ends_at is None or at < self.ends_at))


class CartCoupon(models.Model):
    """The code a buyer applied to a cart (one at a time); priced with the cart until checkout."""

    cart = models.OneToOneField("orders.Cart", on_delete=models.CASCADE, related_name="coupon")
    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="cart_coupons")
    applied_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.promotion} on cart {self.cart_id}"


class Redemption(TimeStampedModel):
    """One order's use of one promotion, with the discount it gave. Counted in the promotion's
    `uses_count` while held or redeemed; released when the order's payment fails or it expires
    unpaid (and taken again if that payment arrives late)."""

    class Status(models.TextChoices):
        HELD = "held", _("Held for an unpaid order")
        REDEEMED = "redeemed", _("Redeemed")
        RELEASED = "released", _("Released")

    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="redemptions")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="redemptions")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.HELD)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    funded_by = models.CharField(max_length=8, choices=Promotion.Funding.choices)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["promotion", "buyer", "status"], name="redemption_buyer_idx")]
        constraints = [
            models.UniqueConstraint(fields=["promotion", "order"], name="redemption_once_per_order"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="redemption_amount_gt_0"),
            models.CheckConstraint(condition=Q(status__in=["held", "redeemed", "released"]),
                                   name="redemption_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.promotion} on order {self.order_id} ({self.status})"
