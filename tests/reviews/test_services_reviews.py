"""Review services: who may review, what is refused whole, the automatic checks, votes, reports,
moderation, and the rating written onto the listing through the projection."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marketplace.models import Listing
from marketplace.services import listings_rebuild
from orders.models import Order
from reviews import services
from reviews.errors import (
    AlreadyReported,
    AlreadyVoted,
    InvalidReviewPhoto,
    ReviewExists,
    ReviewInvalid,
    ReviewNotAllowed,
    ReviewStateConflict,
)
from reviews.models import Review, ReviewEvent, ReviewPhoto, ReviewReport, ReviewVote
from tests.factories import OrderFactory, UserFactory
from tests.support.uploads import PDF_BYTES, png_bytes

pytestmark = pytest.mark.django_db


def _listing(lamp):
    listing, _variant = lamp
    return Listing.objects.get(pk=listing.pk)


def _photo_names() -> set[str]:
    from django.core.files.storage import default_storage

    try:
        return set(default_storage.listdir("reviews")[1])
    except FileNotFoundError:
        return set()


def _media_files(settings) -> list[str]:
    """Review photos in the default storage (the public schema's media) made by this test."""
    return sorted(_photo_names() - _BEFORE)


_BEFORE: set[str] = set()


@pytest.fixture(autouse=True)
def _photos_before():
    """Photos left by earlier runs do not count (django-tenants' storage keeps its first MEDIA_ROOT)."""
    _BEFORE.clear()
    _BEFORE.update(_photo_names())


# --- eligibility ---------------------------------------------------------------------------------


def test_buyer_who_received_the_line_reviews_it_and_the_listing_rating_follows(buyer, received_line, lamp):
    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=4, seller_rating=5,
                                    text="Bright and steady.")
    assert review.status == Review.Status.PUBLISHED
    assert (review.vendor_id, review.product_id) == (received_line.vendor_id, received_line.product_id)
    listing = _listing(lamp)
    assert (listing.rating, listing.rating_count) == (Decimal("4.00"), 1)
    assert ReviewEvent.objects.filter(review=review, kind="created").exists()


def test_someone_who_did_not_buy_is_refused(received_line):
    stranger = UserFactory()
    with pytest.raises(ReviewNotAllowed):
        services.review_create(buyer=stranger, order_line_id=received_line.pk, rating=5)
    assert not Review.objects.exists()


def test_a_paid_line_not_shipped_yet_cannot_be_reviewed(buyer, vendor_a, lamp):
    _listing_row, variant = lamp
    order = OrderFactory(buyer=buyer, items=[(vendor_a, variant, 1)], status=Order.Status.PAID)
    with pytest.raises(ReviewNotAllowed):
        services.review_create(buyer=buyer, order_line_id=order.lines.get().pk, rating=5)
    assert not Review.objects.exists()


def test_a_second_review_of_the_same_line_is_refused(buyer, received_line):
    services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=5)
    with pytest.raises(ReviewExists):
        services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=1, text="Changed my mind")
    assert Review.objects.count() == 1


# --- bad input: refused whole ------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "field"), [
    ({"rating": 0}, "rating"), ({"rating": 6}, "rating"), ({"rating": "x"}, "rating"), ({"rating": True}, "rating"),
    ({"rating": 5, "seller_rating": 9}, "seller_rating"),
    ({"rating": 5, "text": "x" * 10_240}, "text"),
])
def test_bad_input_is_refused_and_nothing_is_stored(buyer, received_line, lamp, settings, fields, field):
    png = SimpleUploadedFile("ok.png", png_bytes(), content_type="image/png")
    with pytest.raises(ReviewInvalid) as caught:
        services.review_create(buyer=buyer, order_line_id=received_line.pk, photos=[png], **fields)
    assert field in caught.value.fields
    assert not Review.objects.exists() and not ReviewPhoto.objects.exists() and not _media_files(settings)
    assert _listing(lamp).rating_count == 0


def test_a_photo_that_is_not_an_image_refuses_the_whole_review(buyer, received_line, settings):
    good = SimpleUploadedFile("good.png", png_bytes(), content_type="image/png")
    fake = SimpleUploadedFile("holiday.jpg", PDF_BYTES, content_type="image/jpeg")
    with pytest.raises(InvalidReviewPhoto) as caught:
        services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=5, photos=[good, fake])
    assert "photos" in caught.value.fields
    assert not Review.objects.exists() and not _media_files(settings)


def test_a_photo_written_before_a_later_failure_is_deleted(buyer, received_line, settings, monkeypatch):
    """The photos are saved inside the transaction: when something fails after them, the review
    rolls back and the files written so far are deleted (nothing half)."""
    def fail(**_kwargs):
        raise RuntimeError("the projection is down")

    monkeypatch.setattr(services, "_rating_refresh", fail)
    photos = [SimpleUploadedFile(f"p{n}.png", png_bytes(), content_type="image/png") for n in range(2)]
    with pytest.raises(RuntimeError):
        services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=5, photos=photos)
    assert not Review.objects.exists() and not _media_files(settings)


def test_photos_are_checked_images_stored_under_random_names(buyer, received_line, settings):
    upload = SimpleUploadedFile("../../etc/My Holiday.png", png_bytes((40, 30)), content_type="text/plain")
    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=5, photos=[upload])
    photo = review.photos.get()
    assert (photo.width, photo.height) == (40, 30)
    assert photo.image.name.startswith("reviews/") and "Holiday" not in photo.image.name
    assert len(_media_files(settings)) == 1


def test_too_many_photos_are_refused(buyer, received_line):
    photos = [SimpleUploadedFile(f"{n}.png", png_bytes()) for n in range(services.PHOTOS_MAX + 1)]
    with pytest.raises(InvalidReviewPhoto):
        services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=5, photos=photos)


# --- automatic checks ------------------------------------------------------------------------------


def test_a_link_sends_the_review_to_moderation_and_out_of_the_rating(buyer, received_line, lamp):
    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=5,
                                    text="Cheaper at www.example-deals.com!")
    assert review.status == Review.Status.PENDING and review.flags == ["links"]
    assert _listing(lamp).rating_count == 0


def test_text_pasted_into_another_review_is_held(buyer, received_line, lamp, vendor_a, shipped_line_for):
    text = "Great lamp, fast shipping, would buy again from this store."
    first = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=5, text=text)
    other = UserFactory(date_joined=timezone.now() - timedelta(days=400))
    second = services.review_create(buyer=other, order_line_id=shipped_line_for(other, vendor_a, lamp[1]).pk,
                                    rating=5, text=text.upper() + "!!")
    assert first.status == Review.Status.PUBLISHED
    assert second.status == Review.Status.PENDING and "repeated_text" in second.flags


def test_text_repeating_itself_is_held(buyer, received_line):
    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=5,
                                    text="bad bad bad bad bad bad bad lamp")
    assert "repeated_text" in review.flags


def test_a_burst_of_low_ratings_from_new_accounts_is_held(vendor_a, lamp, shipped_line_for):
    old = UserFactory(date_joined=timezone.now() - timedelta(days=400))
    statuses = []
    for n in range(3):
        user = UserFactory(date_joined=timezone.now() - timedelta(days=1))
        review = services.review_create(buyer=user, order_line_id=shipped_line_for(user, vendor_a, lamp[1]).pk,
                                        rating=1, text=f"Terrible number {n}")
        statuses.append(review.status)
    assert statuses == ["published", "published", "pending"]
    assert Review.objects.get(status="pending").flags == ["rating_bomb"]
    # An established account's low rating is not part of a bomb.
    review = services.review_create(buyer=old, order_line_id=shipped_line_for(old, vendor_a, lamp[1]).pk,
                                    rating=1, text="Broke after a week")
    assert review.status == Review.Status.PUBLISHED


# --- replies, votes, reports -------------------------------------------------------------------------


def test_vendor_replies_to_its_published_review(buyer, received_line, vendor_a, owner_a):
    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=3)
    services.review_reply(vendor=vendor_a, user=owner_a, review_id=review.pk, text="Thanks, we fixed the cable.")
    review.refresh_from_db()
    assert review.reply_text == "Thanks, we fixed the cable." and review.reply_by == owner_a
    with pytest.raises(ReviewInvalid):
        services.review_reply(vendor=vendor_a, user=owner_a, review_id=review.pk, text="   ")


def test_a_vendor_cannot_reply_to_another_vendors_review(buyer, received_line, vendor_b, owner_b):
    from reviews.errors import ReviewNotFound

    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=3)
    with pytest.raises(ReviewNotFound):
        services.review_reply(vendor=vendor_b, user=owner_b, review_id=review.pk, text="Not ours")
    review.refresh_from_db()
    assert review.reply_text == ""


def test_helpful_once_per_user_and_not_on_ones_own(buyer, received_line):
    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=5)
    reader = UserFactory()
    assert services.review_vote_helpful(user=reader, review_id=review.pk).helpful_count == 1
    with pytest.raises(AlreadyVoted):
        services.review_vote_helpful(user=reader, review_id=review.pk)
    with pytest.raises(ReviewNotAllowed):
        services.review_vote_helpful(user=buyer, review_id=review.pk)
    review.refresh_from_db()
    assert review.helpful_count == 1 and ReviewVote.objects.count() == 1


def test_a_report_puts_the_review_in_the_queue_once_per_user(buyer, received_line):
    from reviews.selectors import moderation_queue

    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=5)
    assert review not in moderation_queue()
    reader = UserFactory()
    services.review_report(user=reader, review_id=review.pk, reason="Insults the seller")
    with pytest.raises(AlreadyReported):
        services.review_report(user=reader, review_id=review.pk, reason="Again")
    assert list(moderation_queue()) == [review]
    assert ReviewReport.objects.count() == 1


# --- moderation ---------------------------------------------------------------------------------------


def test_moderation_walks_every_transition_and_the_rating_follows(buyer, received_line, lamp, admin_user):
    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=2,
                                    text="see http://spam.example")
    assert review.status == "pending" and _listing(lamp).rating_count == 0
    with pytest.raises(ReviewInvalid):  # hiding needs a reason
        services.review_moderate(admin=admin_user, review_id=review.pk, action="hide")
    with pytest.raises(ReviewInvalid):
        services.review_moderate(admin=admin_user, review_id=review.pk, action="delete", reason="x")
    services.review_moderate(admin=admin_user, review_id=review.pk, action="approve", reason="Link is harmless")
    assert (_listing(lamp).rating, _listing(lamp).rating_count) == (Decimal("2.00"), 1)
    with pytest.raises(ReviewStateConflict):  # published without reports: nothing to decide
        services.review_moderate(admin=admin_user, review_id=review.pk, action="approve")
    services.review_moderate(admin=admin_user, review_id=review.pk, action="hide", reason="Advertising")
    review.refresh_from_db()
    assert review.status == "hidden" and review.moderation_reason == "Advertising"
    assert _listing(lamp).rating_count == 0 and _listing(lamp).rating == 0
    with pytest.raises(ReviewStateConflict):
        services.review_moderate(admin=admin_user, review_id=review.pk, action="hide", reason="again")
    services.review_moderate(admin=admin_user, review_id=review.pk, action="approve", reason="Restored")
    assert _listing(lamp).rating_count == 1
    kinds = list(review.events.values_list("kind", "from_status", "to_status"))
    assert kinds == [("created", "", "pending"), ("moderated.approve", "pending", "published"),
                     ("moderated.hide", "published", "hidden"), ("moderated.approve", "hidden", "published")]


def test_approving_a_reported_review_keeps_it_and_closes_the_reports(buyer, received_line, admin_user):
    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=5)
    services.review_report(user=UserFactory(), review_id=review.pk, reason="Fake")
    services.review_moderate(admin=admin_user, review_id=review.pk, action="approve", reason="Genuine buyer")
    review.refresh_from_db()
    assert review.status == "published" and review.open_reports == 0
    assert not ReviewReport.objects.filter(resolved_at__isnull=True).exists()


def test_every_transition_in_the_table(admin_user):
    """The table itself: each (action, from) pair lands where it says, and nothing else is allowed."""
    assert services.TRANSITIONS == {
        "approve": {"pending": "published", "hidden": "published", "published": "published"},
        "hide": {"pending": "hidden", "published": "hidden"},
    }


# --- aggregation through the projection ----------------------------------------------------------------


def test_the_mean_of_several_reviews_rounds_half_up(buyer, received_line, lamp, vendor_a, shipped_line_for):
    services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=5)
    for stars in (4, 4):
        user = UserFactory(date_joined=timezone.now() - timedelta(days=100))
        services.review_create(buyer=user, order_line_id=shipped_line_for(user, vendor_a, lamp[1]).pk, rating=stars)
    listing = _listing(lamp)
    assert (listing.rating, listing.rating_count) == (Decimal("4.33"), 3)


def test_a_vendor_edit_and_a_rebuild_keep_the_rating(buyer, received_line, lamp, vendor_a):
    from tests.e2e.journeys import publish_listing

    services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=3)
    Listing.objects.filter(pk=lamp[0].pk).update(version=0)  # the product's next event is newer
    publish_listing(vendor_a, lamp[1])
    assert _listing(lamp).rating_count == 1
    # A rebuild from scratch: the row is made anew, then the reviews' rating written back.
    Listing.objects.filter(pk=lamp[0].pk).delete()
    listings_rebuild(vendor_ids=[vendor_a.pk])
    rebuilt = Listing.objects.get(vendor=vendor_a, product_id=lamp[0].product_id)
    assert (rebuilt.rating, rebuilt.rating_count) == (Decimal("3.00"), 1)
