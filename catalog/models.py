"""A vendor's catalog (vendor schema): products, their stock and storefront data."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel


class Product(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        ARCHIVED = "archived", _("Archived")

    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=64, unique=True)
    description = models.TextField(blank=True)
    price_amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    stock = models.IntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price_amount__gte=0), name="product_price_non_negative"),
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="product_stock_non_negative"),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "active", "archived"]),
                name="product_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name
