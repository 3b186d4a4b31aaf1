"""Marketplace (public schema): the platform category tree and the searchable listing projection."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import JSONField, Value
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel

# Text search configuration created in migration 0001 (English stemming over unaccented words).
SEARCH_CONFIG = "marketplace_en"
# Per language of translated content (docs/adr/0089): German and French stemming over unaccented
# words (created with the `ListingTranslation` migration); other languages are not stemmed.
SEARCH_CONFIGS = {"en": SEARCH_CONFIG, "de": "marketplace_de", "fr": "marketplace_fr"}
SEARCH_CONFIG_UNSTEMMED = "simple"


def search_config_for(language: str) -> str:
    return SEARCH_CONFIGS.get(language, SEARCH_CONFIG_UNSTEMMED)


class Category(TimeStampedModel):
    """A node of the platform taxonomy; `path` is the slash-joined slugs from the root."""

    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80)
    path = models.CharField(max_length=1000, unique=True)
    depth = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["path"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["parent", "slug"], name="category_slug_unique_in_parent"),
            models.UniqueConstraint(
                fields=["slug"], condition=models.Q(parent__isnull=True), name="category_root_slug_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["path"], name="category_path_prefix", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.name


class CategoryRedirect(models.Model):
    """A path a category had before a rename or move: its old address redirects (301) to the
    category's current one, so links and search engines' entries keep working (ADR 0090)."""

    old_path = models.CharField(max_length=1000, unique=True)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="old_paths")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.old_path} → category {self.category_id}"


class Listing(models.Model):
    """The public projection of one vendor product (fed by the vendor's outbox)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ARCHIVED = "archived", _("Archived")
        DRAFT = "draft", _("Draft")
        DELETED = "deleted", _("Deleted")

    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.CASCADE, related_name="listings")
    product_id = models.BigIntegerField()
    version = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices)
    # False while the vendor is suspended or not able to sell: hidden at once from every page.
    vendor_visible = models.BooleanField(default=True)
    title = models.CharField(max_length=200)
    handle = models.CharField(max_length=120)
    description_html = models.TextField(blank=True)
    description_text = models.TextField(blank=True)
    vendor_name = models.CharField(max_length=200)
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="listings"
    )
    category_text = models.CharField(max_length=1000, blank=True)
    currency = models.CharField(max_length=3)
    price_min = models.BigIntegerField()
    price_max = models.BigIntegerField()
    compare_at_amount = models.BigIntegerField(null=True, blank=True)
    stock_total = models.IntegerField(default=0)
    in_stock = models.BooleanField(default=False)
    variants = models.JSONField(default=list)
    option_types = models.JSONField(default=list)
    attributes = models.JSONField(default=dict)
    image_url = models.CharField(max_length=500, blank=True)
    thumbnail_url = models.CharField(max_length=500, blank=True)
    # Every picture of the product in its order: [{"url", "thumbnail_url", "alt"}] (the gallery).
    images = models.JSONField(default=list, blank=True, db_default=Value([], JSONField()))
    # Hand-picked for the home page by the platform (1 first); never written by the projection,
    # so a vendor's edit or a rebuild keeps the pick.
    featured_position = models.PositiveSmallIntegerField(null=True, blank=True)
    # Published reviews of the product (the reviews app, through `listing_rating_set`): the mean of
    # their stars to two decimals (0 while there are none) and how many. Product events and
    # rebuilds from the catalog never write them, so a vendor's edit keeps the rating.
    rating = models.DecimalField(max_digits=3, decimal_places=2, default=0, db_default=0)
    rating_count = models.PositiveIntegerField(default=0, db_default=0)
    product_created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    search_vector = models.GeneratedField(
        expression=(
            SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector("category_text", weight="B", config=SEARCH_CONFIG)
            + SearchVector("vendor_name", weight="C", config=SEARCH_CONFIG)
            + SearchVector("description_text", weight="D", config=SEARCH_CONFIG)
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vendor", "product_id"], name="listing_vendor_product_unique"),
            models.CheckConstraint(
                condition=models.Q(price_min__gte=0) & models.Q(price_max__gte=models.F("price_min")),
                name="listing_price_range_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["active", "archived", "draft", "deleted"]),
                name="listing_status_valid",
            ),
            models.CheckConstraint(
                condition=(models.Q(rating_count=0, rating=0)
                           | models.Q(rating_count__gt=0, rating__gte=1, rating__lte=5)),
                name="listing_rating_valid",
            ),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="listing_search_vector"),
            GinIndex(fields=["title"], name="listing_title_trgm", opclasses=["gin_trgm_ops"]),
            # jsonb_path_ops: one posting list per key/value pair, so `attributes @> {"material": "wool"}`
            # reads the wool rows only, not every row having a "material" key (only @> is used).
            GinIndex(fields=["attributes"], name="listing_attributes_path", opclasses=["jsonb_path_ops"]),
            models.Index(
                fields=["price_min", "id"], name="listing_visible_price",
                condition=models.Q(status="active", vendor_visible=True),
            ),
            models.Index(
                fields=["product_created_at", "id"], name="listing_visible_newest",
                condition=models.Q(status="active", vendor_visible=True),
            ),
            models.Index(fields=["category", "status"], name="listing_category_status"),
            models.Index(
                fields=["rating", "id"], name="listing_visible_rating",
                condition=models.Q(status="active", vendor_visible=True),
            ),
            # Facet counts (marketplace.search, ADR 0064): every column a facet groups or filters on,
            # so a facet sample is an index-only scan of a category's price range. A new facet adds
            # its column to `include`.
            models.Index(
                fields=["category", "price_min"], name="listing_facet_cover",
                include=["vendor", "currency", "in_stock", "attributes", "rating", "rating_count"],
                condition=models.Q(status="active", vendor_visible=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def orderable(self) -> bool:
        """Whether any variant may be ordered: in stock, or sold on backorder or pre-order."""
        return self.in_stock or any(int(v.get("sellable") or 0) > 0 for v in self.variants or [])

    @property
    def slug(self) -> str:
        return self.handle


class SearchTerm(models.Model):
    """A word seen in listing titles, category names or vendor names (lower-cased, unaccented).

    The vocabulary the typo corrector matches against (trigram similarity, edit distance): a few
    thousand to a few hundred thousand short rows instead of every listing title. Rows are added by
    statement-level triggers on `marketplace_listing` (migration 0002), so every write path (relay
    upserts, rebuilds, COPY) keeps it in step; words of deleted listings stay, which only means a
    correction may find nothing and the search falls back to title similarity.
    """

    word = models.CharField(max_length=40, primary_key=True)

    class Meta:
        indexes = [GinIndex(fields=["word"], name="searchterm_word_trgm", opclasses=["gin_trgm_ops"])]

    def __str__(self) -> str:
        return self.word


class ListingTranslation(models.Model):
    """A listing's title and description in one language with that language's text search
    vector: the vendor's translations, and its own text when that is not English (written by the
    projection with the listing; never edited here)."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=8)
    title = models.CharField(max_length=200)
    description_html = models.TextField(blank=True)
    description_text = models.TextField(blank=True)
    # Computed by the projection's insert with `search_config_for(language)`.
    search_vector = SearchVectorField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["listing", "language"], name="listingtranslation_one_per_language"),
        ]
        indexes = [GinIndex(fields=["search_vector"], name="listingtranslation_search")]

    def __str__(self) -> str:
        return f"{self.listing_id} [{self.language}] {self.title}"


class ListingTakedown(TimeStampedModel):
    """A listing taken down by the platform (a reason given), its vendor's appeal and the decision.

    While a takedown is `taken_down` or `appealed` the listing stays hidden, also when its vendor
    edits the product (the projection keeps `vendor_visible` off for it). Keyed by the vendor and
    product id like the listing, so a rebuilt projection still knows it.
    """

    class Status(models.TextChoices):
        TAKEN_DOWN = "taken_down", _("Taken down")
        APPEALED = "appealed", _("Appealed")
        RESTORED = "restored", _("Restored after appeal")
        UPHELD = "upheld", _("Appeal rejected")

    ACTIVE = (Status.TAKEN_DOWN, Status.APPEALED, Status.UPHELD)

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="takedowns")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="takedowns")
    product_id = models.BigIntegerField()
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.TAKEN_DOWN)
    reason = models.TextField()
    appeal_text = models.TextField(blank=True)
    appealed_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["listing"], condition=models.Q(status__in=["taken_down", "appealed", "upheld"]),
                                    name="takedown_one_active_per_listing"),
            models.CheckConstraint(condition=models.Q(status__in=["taken_down", "appealed", "restored", "upheld"]),
                                   name="takedown_status_valid"),
        ]

    def __str__(self) -> str:
        return f"takedown of listing {self.listing_id} ({self.status})"


class ListingTakedownEvent(models.Model):
    """Audit row (append-only) of a takedown: taken down, appealed, restored or upheld, by whom, why."""

    class Action(models.TextChoices):
        TAKEN_DOWN = "taken_down", _("Taken down")
        APPEALED = "appealed", _("Appealed")
        RESTORED = "restored", _("Restored")
        UPHELD = "upheld", _("Appeal rejected")

    takedown = models.ForeignKey(ListingTakedown, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=12, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"takedown {self.takedown_id}: {self.action}"


class StoreFollow(models.Model):
    """A buyer follows a vendor's store (listed in their account; ADR 0091)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="store_follows")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "vendor"], name="storefollow_once_per_store")]

    def __str__(self) -> str:
        return f"user {self.user_id} follows vendor {self.vendor_id}"


# --- recommendations (ADR 0095) -------------------------------------------------------------------
# Tables written whole by the batch (`recommendations_refresh`, analytics/recommendations.py) and
# read by indexed lookups; the pages filter them again on what is visible now, so a listing hidden
# between two batches (suspended vendor, takedown, sold out) is never shown.


class ListingCoPurchase(models.Model):
    """Frequently bought together: `other` was in the same paid order as `listing` for `buyers`
    distinct buyers; `rank` 1 is the strongest (ties: the more popular `other`, then its id)."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    buyers = models.PositiveIntegerField()
    rank = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["listing", "rank"], name="copurchase_rank_unique"),
            models.UniqueConstraint(fields=["listing", "other"], name="copurchase_pair_unique"),
            models.CheckConstraint(condition=~models.Q(listing=models.F("other")), name="copurchase_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.listing_id} → {self.other_id} (#{self.rank})"


class ListingSimilar(models.Model):
    """Similar items: `other` shares `listing`'s category and/or words of its title (full-text
    rank plus trigram similarity, `score`); `rank` 1 is the closest."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    rank = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["listing", "rank"], name="similar_rank_unique"),
            models.UniqueConstraint(fields=["listing", "other"], name="similar_pair_unique"),
            models.CheckConstraint(condition=~models.Q(listing=models.F("other")), name="similar_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.listing_id} ~ {self.other_id} (#{self.rank})"


class BuyerPick(models.Model):
    """A personal pick for a signed-in buyer (the home page's "Inspired by what you viewed"): what
    is bought with what they bought and like what they viewed, never what they already bought."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    rank = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "rank"], name="buyerpick_rank_unique"),
            models.UniqueConstraint(fields=["user", "listing"], name="buyerpick_once"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id}: {self.listing_id} (#{self.rank})"


class ListingView(models.Model):
    """A signed-in buyer's recently viewed listing (one row per listing, the last view's time; the
    newest few are kept). Anonymous visitors keep theirs in a signed cookie instead."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    viewed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "listing"], name="listingview_once")]
        indexes = [models.Index(fields=["user", "-viewed_at"], name="listingview_user_recent")]

    def __str__(self) -> str:
        return f"user {self.user_id} viewed {self.listing_id}"
