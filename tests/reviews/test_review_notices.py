"""The vendor's team hears of a review once it is public: at once, or when moderation lets a held
one through; never of a held or hidden review, and once per review however often it is approved."""

from __future__ import annotations

import pytest

from notifications.models import Notification
from reviews import services
from reviews.models import Review

pytestmark = pytest.mark.django_db


def _notices(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind="review_received"))


def test_a_published_review_tells_the_vendor_owner_with_product_and_stars(buyer, received_line, owner_a, owner_b):
    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=4, text="Bright and steady.")
    assert review.status == Review.Status.PUBLISHED
    [notice] = _notices(owner_a)
    assert notice.context["product_name"] == received_line.name
    assert notice.context["rating"] == 4
    assert notice.link.endswith("/dashboard/reviews/")
    assert _notices(owner_b) == []  # another vendor's team hears nothing
    assert _notices(buyer) == []


def test_a_held_review_tells_nobody_until_moderation_publishes_it(buyer, received_line, owner_a, admin_user):
    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=5,
                                    text="See https://example.com for more")
    assert review.status == Review.Status.PENDING
    assert _notices(owner_a) == []
    services.review_moderate(admin=admin_user, review_id=review.pk, action="approve")
    assert len(_notices(owner_a)) == 1


def test_a_hidden_review_never_tells_the_vendor(buyer, received_line, owner_a, admin_user):
    review = services.review_create(buyer=buyer, order_line_id=received_line.pk, rating=1,
                                    text="Visit https://example.com now")
    services.review_moderate(admin=admin_user, review_id=review.pk, action="hide", reason="Spam link")
    assert _notices(owner_a) == []
