"""Review writes: create (checked, then published or held), reply, helpful votes, reports,
moderation; every change of what is published rewrites the listing's rating in the same
transaction, through the listing projection (`marketplace.services.listing_rating_set`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_action
from common.hosts import vendor_url
from common.images import JPEG_PNG_WEBP, CheckedImage, ImageRejected, ImageRules, image_check
from marketplace.services import listing_rating_set
from notifications.services import vendor_team_notify
from orders.models import OrderLine
from reviews import checks
from reviews.eligibility import line_received
from reviews.errors import (
    AlreadyReported,
    AlreadyVoted,
    InvalidReviewPhoto,
    ReviewExists,
    ReviewInvalid,
    ReviewNotAllowed,
    ReviewNotFound,
    ReviewStateConflict,
)
from reviews.models import Review, ReviewEvent, ReviewPhoto, ReviewReport, ReviewVote

TEXT_MAX = 2000
REPLY_MAX = 2000
REASON_MAX = 500
PHOTOS_MAX = 4
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000
PHOTO_FORMATS = JPEG_PNG_WEBP
# Rating bombs: low stars from accounts younger than this, several within the window, are held.
NEW_ACCOUNT_AGE = timedelta(days=7)
BOMB_WINDOW = timedelta(hours=24)
BOMB_LOW_STARS = 2
BOMB_MIN_REVIEWS = 3  # this one included
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

S = Review.Status
# action → {from status: to status}. "approve" on a published review keeps it and closes its
# reports (only when it has some: there is nothing to decide otherwise).
TRANSITIONS: dict[str, dict[str, str]] = {
    "approve": {S.PENDING: S.PUBLISHED, S.HIDDEN: S.PUBLISHED, S.PUBLISHED: S.PUBLISHED},
    "hide": {S.PENDING: S.HIDDEN, S.PUBLISHED: S.HIDDEN},
}


# --- input ------------------------------------------------------------------------------------


def _stars(value: Any, field: str, *, required: bool) -> int | None:
    if value in (None, "") and not required:
        return None
    try:
        stars = int(str(value))
    except (TypeError, ValueError):
        stars = 0
    if isinstance(value, bool) or not 1 <= stars <= 5:
        raise ReviewInvalid(_("Choose from 1 to 5 stars."), fields={field: [_("Choose from 1 to 5 stars.")]})
    return stars


def _text(value: Any, field: str, *, limit: int, required: bool = False) -> str:
    text = _CONTROL.sub("", str(value or "")).strip()
    if len(text) > limit:
        raise ReviewInvalid(_("Write at most %(n)s characters.") % {"n": limit},
                            fields={field: [_("Write at most %(n)s characters.") % {"n": limit}]})
    if required and not text:
        raise ReviewInvalid(_("This field is required."), fields={field: [_("This field is required.")]})
    return text


def _photo_error(message: str) -> InvalidReviewPhoto:
    return InvalidReviewPhoto(message, fields={"photos": [message]})


def photos_check(uploads: Sequence[UploadedFile]) -> list[CheckedImage]:
    """Each upload read by Pillow (common.images: never trusting its name or declared type):
    JPEG, PNG or WebP, at most PHOTO_MAX_BYTES and PHOTO_MAX_PIXELS; at most PHOTOS_MAX of them."""
    if len(uploads) > PHOTOS_MAX:
        raise _photo_error(_("Add at most %(n)s photos.") % {"n": PHOTOS_MAX})
    rules = ImageRules(max_bytes=PHOTO_MAX_BYTES, max_pixels=PHOTO_MAX_PIXELS, formats=PHOTO_FORMATS)
    checked = []
    for upload in uploads:
        try:
            checked.append(image_check(upload, rules))
        except ImageRejected as exc:
            raise _photo_error(exc.message) from exc
    return checked


# --- the automatic checks ---------------------------------------------------------------------


def automatic_flags(*, buyer: Any, vendor_id: int, rating: int, text: str, fingerprint: str) -> list[str]:
    """Why the review should wait for a moderator ([] to publish it at once)."""
    flags = []
    if checks.has_link(text):
        flags.append("links")
    if checks.repeats_itself(text) or (fingerprint and Review.objects.filter(text_fingerprint=fingerprint).exists()):
        flags.append("repeated_text")
    now = timezone.now()
    if rating <= BOMB_LOW_STARS and buyer.date_joined > now - NEW_ACCOUNT_AGE:
        recent_low = Review.objects.filter(rating__lte=BOMB_LOW_STARS, created_at__gte=now - BOMB_WINDOW,
                                           buyer__date_joined__gt=now - NEW_ACCOUNT_AGE)
        by_buyer = recent_low.filter(buyer=buyer).count()
        on_vendor = recent_low.filter(vendor_id=vendor_id).count()
        if max(by_buyer, on_vendor) + 1 >= BOMB_MIN_REVIEWS:
            flags.append("rating_bomb")
    return flags


# --- ratings through the projection -------------------------------------------------------------


def _rating_refresh(*, vendor_id: int, product_id: int) -> None:
    def summarize() -> tuple[int, int]:
        row = Review.objects.filter(vendor_id=vendor_id, product_id=product_id, status=S.PUBLISHED).aggregate(
            count=Count("id"), total=Sum("rating"))
        return int(row["count"] or 0), int(row["total"] or 0)

    listing_rating_set(vendor_id=vendor_id, product_id=product_id, summarize=summarize)


def ratings_recompute_for_vendor(vendor_id: int) -> None:
    """Write every reviewed product's rating onto its listing (after a rebuild of the projection)."""
    product_ids = Review.objects.filter(vendor_id=vendor_id).values_list("product_id", flat=True).distinct()
    for product_id in product_ids:
        with transaction.atomic():
            _rating_refresh(vendor_id=vendor_id, product_id=product_id)


def _event(review: Review, kind: str, *, actor: Any = None, from_status: str = "", reason: str = "",
           data: dict[str, Any] | None = None) -> None:
    ReviewEvent.objects.create(review=review, kind=kind, from_status=from_status, to_status=review.status,
                               actor=actor if actor is not None and actor.is_authenticated else None,
                               reason=reason[:REASON_MAX], data=data or {})


# --- create -------------------------------------------------------------------------------------


def review_create(*, buyer: Any, order_line_id: Any, rating: Any, seller_rating: Any = None, text: Any = "",
                  photos: Sequence[UploadedFile] = ()) -> Review:
    """A buyer's review of a line they received: everything is checked before anything is
    written; a photo file written before a later failure is deleted again (nothing half)."""
    stars = _stars(rating, "rating", required=True)
    assert stars is not None
    seller_stars = _stars(seller_rating, "seller_rating", required=False)
    body = _text(text, "text", limit=TEXT_MAX)
    checked = photos_check(photos)
    try:
        line_id = int(str(order_line_id))
    except (TypeError, ValueError):
        line_id = 0
    saved: list[str] = []
    try:
        return _review_create(buyer=buyer, line_id=line_id, rating=stars, seller_rating=seller_stars, text=body,
                              photos=checked, saved=saved)
    except BaseException:
        for name in saved:
            default_storage.delete(name)
        raise


@transaction.atomic
def _review_create(*, buyer: Any, line_id: int, rating: int, seller_rating: int | None, text: str,
                   photos: list[CheckedImage], saved: list[str]) -> Review:
    line = (OrderLine.objects.select_for_update(of=("self",)).select_related("order", "sub_order")
            .filter(pk=line_id, order__buyer_id=buyer.pk).first()) if buyer.is_authenticated else None
    if line is None or not line_received(line):
        # The same answer for another buyer's line and one not shipped yet: nothing is told.
        raise ReviewNotAllowed(_("You can review only items you bought and received."),
                               fields={"order_line_id": [_("Not an item you received.")]})
    if Review.objects.filter(order_line=line).exists():
        raise ReviewExists(_("You have reviewed this item already."), fields={"order_line_id": [_("Reviewed already.")]})
    fingerprint = checks.fingerprint(text)
    flags = automatic_flags(buyer=buyer, vendor_id=line.vendor_id, rating=rating, text=text, fingerprint=fingerprint)
    try:
        with transaction.atomic():
            review = Review.objects.create(
                order_line=line, buyer=buyer, vendor_id=line.vendor_id, product_id=line.product_id,
                product_name=line.name, rating=rating, seller_rating=seller_rating, text=text,
                text_fingerprint=fingerprint, flags=flags, status=S.PENDING if flags else S.PUBLISHED)
    except IntegrityError as exc:
        raise ReviewExists(_("You have reviewed this item already."),
                           fields={"order_line_id": [_("Reviewed already.")]}) from exc
    for position, photo in enumerate(photos):
        item = ReviewPhoto(review=review, width=photo.width, height=photo.height, position=position)
        item.image.save(f"photo.{photo.extension}", ContentFile(photo.data), save=False)
        saved.append(str(item.image.name))
        item.save()
    _event(review, "created", actor=buyer, data={"flags": flags})
    if review.status == S.PUBLISHED:
        _rating_refresh(vendor_id=review.vendor_id, product_id=review.product_id)
        _vendor_told(review)
    return review


def _vendor_told(review: Review) -> None:
    """The vendor's team hears of a review once it is public (at once, or when moderation lets it
    through): never of one held or hidden. One notice per review, however often it is approved."""
    vendor = review.vendor
    vendor_team_notify(
        "review_received", vendor=vendor, roles=("owner", "manager"),
        link=vendor_url(vendor, "/dashboard/reviews/"),
        context={"product_name": review.product_name, "rating": review.rating,
                 "author_name": review.reviewer_name},
        dedupe_key=f"review_received:{review.pk}")


# --- the vendor's reply -------------------------------------------------------------------------


def _locked(review_id: Any, **scope: Any) -> Review:
    try:
        pk = int(str(review_id))
    except (TypeError, ValueError):
        pk = 0
    review = Review.objects.select_for_update().filter(pk=pk, **scope).first()
    if review is None:
        raise ReviewNotFound(_("Review not found."))
    return review


@transaction.atomic
def review_reply(*, vendor: Any, user: Any, review_id: Any, text: Any) -> Review:
    """The vendor answers a published review of its own (a second reply replaces the first)."""
    body = _text(text, "text", limit=REPLY_MAX, required=True)
    review = _locked(review_id, vendor_id=vendor.pk, status=S.PUBLISHED)
    review.reply_text, review.reply_by, review.replied_at = body, user, timezone.now()
    review.save(update_fields=["reply_text", "reply_by", "replied_at", "updated_at"])
    _event(review, "replied", actor=user)
    return review


# --- helpful votes and reports ----------------------------------------------------------------


@transaction.atomic
def review_vote_helpful(*, user: Any, review_id: Any) -> Review:
    review = _locked(review_id, status=S.PUBLISHED)
    if review.buyer_id == user.pk:
        raise ReviewNotAllowed(_("You cannot vote on your own review."))
    try:
        with transaction.atomic():
            ReviewVote.objects.create(review=review, user=user)
    except IntegrityError as exc:
        raise AlreadyVoted(_("You found this review helpful already.")) from exc
    Review.objects.filter(pk=review.pk).update(helpful_count=F("helpful_count") + 1)
    review.refresh_from_db(fields=["helpful_count"])
    return review


@transaction.atomic
def review_report(*, user: Any, review_id: Any, reason: Any) -> ReviewReport:
    """Report abuse: the review goes to the moderation queue (it stays up until a moderator acts)."""
    body = _text(reason, "reason", limit=REASON_MAX, required=True)
    review = _locked(review_id, status=S.PUBLISHED)
    if review.buyer_id == user.pk:
        raise ReviewNotAllowed(_("You cannot report your own review."))
    try:
        with transaction.atomic():
            report = ReviewReport.objects.create(review=review, reporter=user, reason=body)
    except IntegrityError as exc:
        raise AlreadyReported(_("You have reported this review already.")) from exc
    Review.objects.filter(pk=review.pk).update(open_reports=F("open_reports") + 1)
    return report


# --- moderation -------------------------------------------------------------------------------


@transaction.atomic
def review_moderate(*, admin: Any, review_id: Any, action: Any, reason: Any = "") -> Review:
    """Approve (publish, or keep up and close the reports) or hide a review, with the reason."""
    review = _locked(review_id)
    table = TRANSITIONS.get(str(action))
    if table is None:
        raise ReviewInvalid(_("Choose approve or hide."), fields={"action": [_("Choose approve or hide.")]})
    note = _text(reason, "reason", limit=REASON_MAX, required=action == "hide")
    before = review.status
    if before not in table or (before == S.PUBLISHED and action == "approve" and not review.open_reports):
        raise ReviewStateConflict(_("This review is %(status)s: nothing to decide.")
                                  % {"status": review.get_status_display().lower()})
    review.status = table[before]
    review.moderated_by, review.moderated_at, review.moderation_reason = admin, timezone.now(), note
    review.open_reports = 0
    review.save(update_fields=["status", "moderated_by", "moderated_at", "moderation_reason", "open_reports",
                               "updated_at"])
    review.reports.filter(resolved_at__isnull=True).update(resolved_at=review.moderated_at)
    _event(review, f"moderated.{action}", actor=admin, from_status=before, reason=note)
    audit_action(actor=admin, action="review.moderate", target=review, reason=note,
                 before={"status": before}, after={"status": review.status, "decision": str(action)})
    if (before == S.PUBLISHED) != (review.status == S.PUBLISHED):
        _rating_refresh(vendor_id=review.vendor_id, product_id=review.product_id)
    if before == S.PENDING and review.status == S.PUBLISHED:
        _vendor_told(review)
    return review
