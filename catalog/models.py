"""A vendor's catalog (vendor schema): products, variants, stock and its locations, images, imports, the outbox."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from common.storage import tenant_private_storage


class Product(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        ARCHIVED = "archived", _("Archived")

    name = models.CharField(max_length=200)
    # Stable per-vendor handle: groups CSV rows into one product and names it in URLs.
    handle = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True, help_text=_("Sanitized HTML."))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    # Id of a `marketplace.Category` (public schema): a reference, never a cross-schema key.
    category_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # Names of the option types of its variants, in order ("size", "colour").
    option_types = models.JSONField(default=list, blank=True)
    # Free attributes used as search filters ({"material": "wool"}).
    attributes = models.JSONField(default=dict, blank=True)
    # Customs data for parcels leaving the vendor's country (docs/adr/0080): the Harmonized System
    # code (6 to 10 digits) and the ISO country where it was made. The declared value is what the
    # buyer paid for the line.
    hs_code = models.CharField(max_length=10, blank=True, default="", db_default="")
    origin_country = models.CharField(max_length=2, blank=True, default="", db_default="")
    # Bumped by every change: the projection applies an event only when its version is newer.
    version = models.BigIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "active", "archived"]),
                name="product_status_valid",
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="product_version_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class ProductTranslation(TimeStampedModel):
    """A product's title and description in another language than its vendor's content language
    (the product's own fields); a language without one falls back to those (docs/adr/0089)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=8)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text=_("Sanitized HTML."))

    class Meta:
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(fields=["product", "language"], name="producttranslation_one_per_language"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} [{self.language}] {self.name}"


class Variant(TimeStampedModel):
    class InventoryPolicy(models.TextChoices):
        DENY = "deny", _("Stop selling when out of stock")
        BACKORDER = "backorder", _("Allow backorders")
        PREORDER = "preorder", _("Pre-order")

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(max_length=64, unique=True)
    # {"size": "M", "colour": "red"}: keys are the product's option types.
    options = models.JSONField(default=dict, blank=True)
    price_amount = models.BigIntegerField()
    compare_at_amount = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    weight_grams = models.PositiveIntegerField(default=0)
    # Sellable stock: the sum of its levels over the locations; below zero, units sold on
    # backorder or pre-order and owed to buyers (every level is then zero: docs/adr/0082).
    stock = models.IntegerField(default=0)
    low_stock_threshold = models.PositiveIntegerField(default=5)
    position = models.PositiveIntegerField(default=0)
    inventory_policy = models.CharField(max_length=16, choices=InventoryPolicy.choices,
                                        default=InventoryPolicy.DENY, db_default="deny")
    # Units that may be sold beyond the stock on hand (backorder or pre-order); 0 when denied.
    backorder_limit = models.PositiveIntegerField(default=0, db_default=0)
    # When units sold beyond stock ship ("Ships from 12 Jan"); required for a pre-order.
    available_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price_amount__gte=0), name="variant_price_non_negative"),
            models.CheckConstraint(
                condition=models.Q(compare_at_amount__isnull=True)
                | models.Q(compare_at_amount__gte=0),
                name="variant_compare_at_non_negative",
            ),
            models.CheckConstraint(condition=models.Q(stock__gte=-models.F("backorder_limit")),
                                   name="variant_stock_within_backorder_limit"),
            models.CheckConstraint(
                condition=models.Q(inventory_policy__in=["backorder", "preorder"])
                | models.Q(inventory_policy="deny", backorder_limit=0),
                name="variant_inventory_policy_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(inventory_policy="preorder") | models.Q(available_on__isnull=False),
                name="variant_preorder_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="variant_currency_iso"
            ),
        ]

    def __str__(self) -> str:
        return self.sku

    @property
    def options_label(self) -> str:
        return " / ".join(str(value) for value in self.options.values())

    @property
    def sellable(self) -> int:
        """Units a buyer may still order: the stock plus what may be sold beyond it."""
        return self.stock + self.backorder_limit

    @property
    def owed(self) -> int:
        """Units sold beyond stock and not yet received."""
        return max(0, -self.stock)


class StockLocation(TimeStampedModel):
    """A place the vendor keeps stock (a warehouse); exactly one is the default."""

    name = models.CharField(max_length=100, unique=True)
    # ISO 3166-1 alpha-2 of the address; blank only for the location made from the stock before
    # locations existed.
    country = models.CharField(max_length=2, blank=True)
    is_default = models.BooleanField(default=False)
    # Reservations take from the default first, then by ascending priority (docs/adr/0082).
    priority = models.PositiveIntegerField(default=100)

    class Meta:
        ordering = ["-is_default", "priority", "id"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True),
                                    name="stocklocation_one_default"),
            models.CheckConstraint(condition=models.Q(country__regex=r"^([A-Z]{2})?$"),
                                   name="stocklocation_country_iso"),
        ]

    def __str__(self) -> str:
        return self.name


class StockLevel(models.Model):
    """Units of a variant on hand at a location, not yet reserved."""

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="levels")
    location = models.ForeignKey(StockLocation, on_delete=models.PROTECT, related_name="levels")
    quantity = models.IntegerField(default=0)

    class Meta:
        ordering = ["location__priority", "location_id"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "location"], name="stocklevel_variant_location_unique"),
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="stocklevel_quantity_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.variant_id}@{self.location_id}: {self.quantity}"


class StockAdjustment(models.Model):
    """History of every stock change of a variant (never updated or deleted)."""

    class Reason(models.TextChoices):
        RECEIVED = "received", _("Stock received")
        CORRECTION = "correction", _("Inventory correction")
        DAMAGED = "damaged", _("Damaged or lost")
        RETURNED = "returned", _("Returned by a buyer")
        SOLD = "sold", _("Sold")
        IMPORT = "import", _("CSV import")
        INITIAL = "initial", _("Initial stock")
        MOVED = "moved", _("Moved between locations")

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="adjustments")
    # Where the units came or went (null: a reservation, a release or history before locations).
    location = models.ForeignKey(StockLocation, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="adjustments")
    delta = models.IntegerField()
    stock_after = models.IntegerField()
    reason = models.CharField(max_length=16, choices=Reason.choices)
    note = models.CharField(max_length=200, blank=True)
    # The public-schema user who made it (id and email copy; no cross-schema key).
    user_id = models.BigIntegerField(null=True, blank=True)
    user_email = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    reason__in=["received", "correction", "damaged", "returned", "sold", "import", "initial", "moved"]
                ),
                name="adjustment_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delta:+d} {self.reason}"


class StockBulkRequest(models.Model):
    """The answer to a bulk stock update sent with an `Idempotency-Key`: a retry gets it again."""

    key = models.CharField(max_length=100, unique=True)
    # SHA-256 of the rows: the same key with other rows is refused, not answered with the old result.
    fingerprint = models.CharField(max_length=64)
    result = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


def product_image_path(instance: ProductImage, filename: str) -> str:
    # The storage backend prefixes the schema; the name itself is ours, never the uploader's.
    return f"products/{instance.product_id}/{filename}"


class ProductImage(TimeStampedModel):
    class ThumbnailStatus(models.TextChoices):
        PENDING = "pending", _("Pending")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.FileField(upload_to=product_image_path, max_length=255)
    thumbnail = models.FileField(upload_to=product_image_path, max_length=255, blank=True)
    thumbnail_status = models.CharField(
        max_length=16, choices=ThumbnailStatus.choices, default=ThumbnailStatus.PENDING
    )
    alt = models.CharField(max_length=200, blank=True)
    # Smaller copies in modern formats for srcset, made with the thumbnail (ADR 0091):
    # [{"width": 400, "format": "webp", "name": "<storage name>"}], widest last per format.
    renditions = models.JSONField(default=list, db_default=[], blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return str(self.image.name or "")


class OutboxEvent(models.Model):
    """A change to publish to the public side, committed with the change itself."""

    class Type(models.TextChoices):
        PRODUCT_CHANGED = "product.changed", _("Product changed")
        PRODUCT_DELETED = "product.deleted", _("Product deleted")

    event_type = models.CharField(max_length=32, choices=Type.choices)
    product_id = models.BigIntegerField(db_index=True)
    version = models.BigIntegerField()
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"], name="outbox_unpublished",
                condition=models.Q(published_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.product_id} v{self.version}"


class CsvImport(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    # The vendor's own file: private (signed access only), never in the public media bucket.
    file = models.FileField(storage=tenant_private_storage, upload_to="imports/", max_length=255)
    original_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    imported_rows = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    # [{"line": 3, "column": "price", "message": "..."}], capped; in `language` (the uploader's).
    errors = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=8, blank=True, default="", db_default="")
    failure = models.CharField(max_length=500, blank=True)
    user_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "running", "done", "failed"]),
                name="csvimport_status_valid",
            ),
        ]

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status in {self.Status.DONE, self.Status.FAILED} else 0
        return min(100, self.processed_rows * 100 // self.total_rows)

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

