"""Shipping zones, their methods and rate bands, and the table's revision (vendor schema).

Amounts are integer minor units in the vendor's currency. Weight bands are in grams; value bands in
minor units of the vendor's part of the cart. A band runs from `lower` (inclusive) to `upper`
(exclusive; none: no upper end).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel


class ShippingProfile(models.Model):
    """One row per schema: a new random revision on every change names the cached table, so a
    reader never serves a stale one (and a rolled-back change never reuses a revision)."""

    revision = models.UUIDField(default=uuid.uuid4)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"shipping revision {self.revision}"


class ShippingZone(TimeStampedModel):
    name = models.CharField(max_length=100)
    # ISO 3166-1 alpha-2 codes.
    countries = models.JSONField(default=list, blank=True)
    # ISO 3166-2 codes ("US-CA") of countries above: then only these regions of that country.
    regions = models.JSONField(default=list, blank=True)
    # Every destination no other zone serves.
    rest_of_world = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rest_of_world"], condition=Q(rest_of_world=True),
                                    name="shippingzone_one_rest_of_world"),
        ]

    def __str__(self) -> str:
        return self.name


class ShippingMethod(TimeStampedModel):
    class Kind(models.TextChoices):
        STANDARD = "standard", _("Standard")
        EXPRESS = "express", _("Express")
        PICKUP = "pickup", _("Pickup")

    class RateKind(models.TextChoices):
        FLAT = "flat", _("Flat rate")
        WEIGHT = "weight", _("By weight")
        VALUE = "value", _("By order value")

    zone = models.ForeignKey(ShippingZone, on_delete=models.CASCADE, related_name="methods")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STANDARD)
    rate_kind = models.CharField(max_length=10, choices=RateKind.choices, default=RateKind.FLAT)
    flat_amount = models.BigIntegerField(default=0)
    # Free when the vendor's part of the cart reaches this amount (none: never free).
    free_over_amount = models.BigIntegerField(null=True, blank=True)
    # Business days to dispatch, then in transit.
    handling_days = models.PositiveSmallIntegerField(default=1)
    transit_days_min = models.PositiveSmallIntegerField(default=1)
    transit_days_max = models.PositiveSmallIntegerField(default=3)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["zone_id", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["standard", "express", "pickup"]),
                                   name="shippingmethod_kind_valid"),
            models.CheckConstraint(condition=Q(rate_kind__in=["flat", "weight", "value"]),
                                   name="shippingmethod_rate_kind_valid"),
            models.CheckConstraint(condition=Q(flat_amount__gte=0), name="shippingmethod_flat_gte_0"),
            models.CheckConstraint(condition=Q(free_over_amount__isnull=True) | Q(free_over_amount__gte=0),
                                   name="shippingmethod_free_over_gte_0"),
            models.CheckConstraint(condition=Q(transit_days_min__lte=F("transit_days_max")),
                                   name="shippingmethod_transit_range"),
        ]

    def __str__(self) -> str:
        return f"{self.zone_id}: {self.name}"


class ShippingRateBand(models.Model):
    method = models.ForeignKey(ShippingMethod, on_delete=models.CASCADE, related_name="bands")
    lower = models.BigIntegerField()
    upper = models.BigIntegerField(null=True, blank=True)
    amount = models.BigIntegerField()

    class Meta:
        ordering = ["method_id", "lower"]
        constraints = [
            models.CheckConstraint(condition=Q(lower__gte=0, amount__gte=0), name="shippingrateband_gte_0"),
            models.CheckConstraint(condition=Q(upper__isnull=True) | Q(upper__gt=F("lower")),
                                   name="shippingrateband_upper_above_lower"),
            models.UniqueConstraint(fields=["method", "lower"], name="shippingrateband_one_per_lower"),
        ]

    def __str__(self) -> str:
        return f"{self.lower}–{self.upper}: {self.amount}"
