"""Reads of reviews, each scoped to who asks: everyone (published), the buyer (own), the vendor
(its own published reviews, no moderation details), ops (the moderation queue)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from marketplace.services import rating_mean
from orders.models import OrderLine
from reviews.eligibility import received_lines_q
from reviews.errors import ReviewNotFound
from reviews.models import Review, ReviewVote


def _published() -> QuerySet[Review]:
    return Review.objects.filter(status=Review.Status.PUBLISHED).select_related("buyer").prefetch_related("photos")


def reviews_of_product(*, vendor_id: int, product_id: int, viewer: Any = None) -> QuerySet[Review]:
    """Published reviews of one product, most helpful first; `voted` tells whether `viewer` voted."""
    qs = _published().filter(vendor_id=vendor_id, product_id=product_id)
    if viewer is not None and viewer.is_authenticated:
        qs = qs.annotate(voted=Exists(ReviewVote.objects.filter(review=OuterRef("pk"), user=viewer)))
    return qs.order_by("-helpful_count", "-created_at", "-id")


def reviews_of_vendor_published(*, vendor: Any) -> QuerySet[Review]:
    """What the vendor's dashboard lists: its published reviews only (held or hidden ones, and
    why, are the moderators' and the author's business)."""
    return _published().filter(vendor_id=vendor.pk).order_by("-created_at", "-id")


def review_for_vendor(*, vendor: Any, review_id: Any) -> Review:
    return _one(reviews_of_vendor_published(vendor=vendor), review_id)


def reviews_of_buyer(*, user: Any) -> QuerySet[Review]:
    return Review.objects.filter(buyer=user).select_related("vendor").prefetch_related("photos").order_by(
        "-created_at", "-id")


def lines_to_review(*, user: Any) -> QuerySet[OrderLine]:
    """The buyer's received lines without a review yet, newest order first."""
    return (OrderLine.objects.filter(received_lines_q(), order__buyer=user, review__isnull=True)
            .select_related("order", "vendor").order_by("-order__created_at", "id"))


def line_to_review(*, user: Any, line_id: Any) -> OrderLine | None:
    try:
        pk = int(str(line_id))
    except (TypeError, ValueError):
        return None
    return lines_to_review(user=user).filter(pk=pk).first()


def moderation_queue(*, state: str = "open") -> QuerySet[Review]:
    """Held reviews and published ones with open reports, oldest first; or one status."""
    qs = Review.objects.select_related("buyer", "vendor").prefetch_related("photos")
    if state == "open":
        return qs.filter(Q(status=Review.Status.PENDING) | Q(status=Review.Status.PUBLISHED, open_reports__gt=0)
                         ).order_by("created_at", "id")
    if state in Review.Status.values:
        return qs.filter(status=state).order_by("-updated_at", "-id")
    return qs.none()


def review_for_ops(*, review_id: Any) -> Review:
    return _one(Review.objects.select_related("buyer", "vendor", "moderated_by", "reply_by").prefetch_related(
        "photos", "reports__reporter", "events__actor"), review_id)


def review_published(*, review_id: Any) -> Review:
    return _one(_published(), review_id)


def _one(qs: QuerySet[Review], review_id: Any) -> Review:
    try:
        pk = int(str(review_id))
    except (TypeError, ValueError):
        raise ReviewNotFound(_("Review not found.")) from None
    review = qs.filter(pk=pk).first()
    if review is None:
        raise ReviewNotFound(_("Review not found."))
    return review


@dataclass(frozen=True)
class SellerRating:
    average: Decimal
    count: int


def seller_rating(*, vendor_id: int) -> SellerRating:
    """The mean of the seller stars of the vendor's published reviews."""
    row = Review.objects.filter(vendor_id=vendor_id, status=Review.Status.PUBLISHED,
                                seller_rating__isnull=False).aggregate(total=Sum("seller_rating"), count=Count("id"))
    count = int(row["count"] or 0)
    return SellerRating(average=rating_mean(count=count, total=int(row["total"] or 0)), count=count)
