"""Analytics (public schema): the append-only event log (partitioned by month) and its daily rollups.

The event table is created by SQL in the migrations (PostgreSQL declarative partitioning, a
trigger refusing UPDATE and DELETE: docs/adr/0083); `Event` maps it for reading and inserting.
Rollup rows are recomputed a day at a time (analytics/rollups.py); pages read only those.
Money is in integer minor units with its currency; a rollup row with currency "" holds the
counts that have no currency (views, visits, searches, claims).
"""

from __future__ import annotations

from django.db import models


class AnalyticsRow(models.Model):
    """Rows of analytics tables name themselves by their key fields (admin, shell, logs)."""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        keys = ("day", "vendor_id", "product_id", "currency", "kind", "term", "name")
        return " ".join(f"{k}={getattr(self, k)}" for k in keys if hasattr(self, k))


class Event(AnalyticsRow):
    class Kind(models.TextChoices):
        VIEW = "view", "Product view"
        SEARCH = "search", "Search"
        CART_ADD = "cart_add", "Add to cart"
        CHECKOUT = "checkout", "Checkout started"
        PURCHASE = "purchase", "Purchase"
        REFUND = "refund", "Refund"

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # A keyed hash of address and browser with a salt of the day (analytics/visitors.py): "" for
    # purchases and refunds, which come from order events, not from a visitor's request.
    visitor = models.CharField(max_length=32, blank=True, default="")
    vendor_id = models.BigIntegerField(null=True)
    listing_id = models.BigIntegerField(null=True)
    product_id = models.BigIntegerField(null=True)
    order_id = models.BigIntegerField(null=True)
    quantity = models.IntegerField(default=0)
    amount = models.BigIntegerField(default=0)
    commission = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, blank=True, default="")
    term = models.CharField(max_length=100, blank=True, default="")
    zero_results = models.BooleanField(default=False)

    class Meta:
        managed = False
        db_table = "analytics_event"


class VendorDay(AnalyticsRow):
    """One vendor's day: traffic in the row with currency "", sales in one row per currency."""

    vendor_id = models.BigIntegerField()
    day = models.DateField()
    currency = models.CharField(max_length=3, blank=True)
    views = models.IntegerField(default=0)
    visits = models.IntegerField(default=0)  # distinct visitors (a visitor id lives one day)
    cart_adds = models.IntegerField(default=0)
    checkouts = models.IntegerField(default=0)  # distinct visitors who started a checkout
    claims = models.IntegerField(default=0)
    returns = models.IntegerField(default=0)
    orders = models.IntegerField(default=0)
    units = models.IntegerField(default=0)
    revenue = models.BigIntegerField(default=0)
    commission = models.BigIntegerField(default=0)
    refunded = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vendor_id", "day", "currency"], name="vendorday_unique")]


class ListingDay(AnalyticsRow):
    """One product's day (by vendor and the vendor's product id), with its category then."""

    vendor_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    day = models.DateField()
    currency = models.CharField(max_length=3, blank=True)
    category_id = models.BigIntegerField(null=True)
    title = models.CharField(max_length=200, blank=True)
    views = models.IntegerField(default=0)
    cart_adds = models.IntegerField(default=0)
    orders = models.IntegerField(default=0)
    units = models.IntegerField(default=0)
    revenue = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vendor_id", "product_id", "day", "currency"],
                                               name="listingday_unique")]
        indexes = [models.Index(fields=["day", "vendor_id"], name="listingday_day_vendor")]


class PlatformDay(AnalyticsRow):
    """The marketplace's day: traffic and the funnel in the row with currency "", money per currency."""

    day = models.DateField()
    currency = models.CharField(max_length=3, blank=True)
    visits = models.IntegerField(default=0)
    view_visits = models.IntegerField(default=0)
    cart_visits = models.IntegerField(default=0)
    checkout_visits = models.IntegerField(default=0)
    searches = models.IntegerField(default=0)
    zero_result_searches = models.IntegerField(default=0)
    orders = models.IntegerField(default=0)
    gmv = models.BigIntegerField(default=0)
    commission = models.BigIntegerField(default=0)
    refunded = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "currency"], name="platformday_unique")]


class SearchTermDay(AnalyticsRow):
    day = models.DateField()
    term = models.CharField(max_length=100)
    searches = models.IntegerField(default=0)
    zero_results = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "term"], name="searchtermday_unique")]


class BuyerDay(AnalyticsRow):
    """What one buyer paid for on a day, per vendor (vendor_id 0: the whole marketplace), from the
    paid orders: repeat buyers, new and returning buyers, cohorts and lifetime value."""

    PLATFORM = 0

    vendor_id = models.BigIntegerField()
    buyer_id = models.BigIntegerField()
    day = models.DateField()
    currency = models.CharField(max_length=3)
    orders = models.IntegerField(default=0)
    revenue = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vendor_id", "buyer_id", "day", "currency"],
                                               name="buyerday_unique")]
        indexes = [models.Index(fields=["vendor_id", "day"], name="buyerday_vendor_day")]


class ProductForecast(AnalyticsRow):
    """The demand forecast of one product for the week starting `week_start` (analytics/forecast.py)."""

    vendor_id = models.BigIntegerField()
    product_id = models.BigIntegerField()
    week_start = models.DateField()
    units_per_week = models.FloatField()
    method = models.CharField(max_length=8)  # "holt" or "ses"
    weeks_of_history = models.PositiveSmallIntegerField()
    stock = models.IntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vendor_id", "product_id"], name="productforecast_unique")]


class RollupCursor(AnalyticsRow):
    """The last day the daily rollup finished: the next run starts from it (incremental)."""

    name = models.CharField(max_length=32, primary_key=True)
    day = models.DateField()
    # Bumped by every day rolled up: part of the cache keys of the pages' reports.
    runs = models.BigIntegerField(default=0)
