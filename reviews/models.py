"""Reviews of products and their sellers by buyers who received them, with photos, replies,
helpful votes, reports and the moderation trail (public schema).

A review belongs to one order line (one review per line). Products are named by id plus vendor,
as everywhere in the public schema (no key into a vendor's schema).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel


class Review(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Held for moderation")
        PUBLISHED = "published", _("Published")
        HIDDEN = "hidden", _("Hidden")

    order_line = models.OneToOneField("orders.OrderLine", on_delete=models.PROTECT, related_name="review")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="reviews")
    product_id = models.BigIntegerField()
    product_name = models.CharField(max_length=300)
    # The product's stars, and (optional) the seller's: how it was packed, sent and answered.
    rating = models.PositiveSmallIntegerField()
    seller_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    # sha256 of the text lower-cased with its punctuation and spacing dropped ("" for short texts):
    # the same words pasted into many reviews are found by one indexed lookup.
    text_fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Why the automatic checks held it: ["links", "repeated_text", "rating_bomb"].
    flags = models.JSONField(default=list, blank=True)
    moderated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderation_reason = models.CharField(max_length=500, blank=True)
    reply_text = models.TextField(blank=True)
    reply_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    replied_at = models.DateTimeField(null=True, blank=True)
    helpful_count = models.PositiveIntegerField(default=0)
    open_reports = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["vendor", "product_id", "status"], name="review_product_status_idx"),
            models.Index(fields=["status", "created_at"], name="review_status_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
            models.CheckConstraint(
                condition=Q(seller_rating__isnull=True) | Q(seller_rating__gte=1, seller_rating__lte=5),
                name="review_seller_rating_1_to_5",
            ),
            models.CheckConstraint(condition=Q(status__in=["pending", "published", "hidden"]),
                                   name="review_status_valid"),
        ]

    def __str__(self) -> str:
        return f"review {self.pk} of line {self.order_line_id} ({self.status})"

    @property
    def reviewer_name(self) -> str:
        """How the author is shown: first name and initial ("Bea B."), never the email."""
        parts = (self.buyer.full_name or "").split()
        if not parts:
            return str(_("A buyer"))
        return f"{parts[0]} {parts[-1][0]}." if len(parts) > 1 else parts[0]

    @property
    def flag_labels(self) -> list[str]:
        labels = {"links": _("Contains a link"), "repeated_text": _("Repeated text"),
                  "rating_bomb": _("Low rating from a new account among several")}
        return [str(labels.get(flag, flag)) for flag in self.flags]


def review_photo_path(instance: ReviewPhoto, filename: str) -> str:
    """A random name under reviews/: the buyer's file name never reaches the storage."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"reviews/{uuid.uuid4().hex}.{extension}"


class ReviewPhoto(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="photos")
    # Public media (the default storage: the public schema's prefix), shown once published.
    image = models.FileField(upload_to=review_photo_path, max_length=255)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["review_id", "position", "id"]

    def __str__(self) -> str:
        return f"photo {self.position} of review {self.review_id}"


class ReviewVote(models.Model):
    """One "helpful" per user and review."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "user"], name="reviewvote_once_per_user")]

    def __str__(self) -> str:
        return f"vote of {self.user_id} for review {self.review_id}"


class ReviewReport(models.Model):
    """A user's report of abuse; open until a moderator decides on the review."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=500)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["review", "reporter"], name="reviewreport_once_per_user")]

    def __str__(self) -> str:
        return f"report of review {self.review_id} by {self.reporter_id}"


class ReviewEvent(models.Model):
    """The review's audit trail, append-only: created (and why it was held), moderated, replied."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on review {self.review_id}"
