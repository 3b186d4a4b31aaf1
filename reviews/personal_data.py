"""A buyer's reviews in their privacy export and erasure (accounts.personal_data, docs/privacy.md).

Erasure removes the words and the photos and keeps the stars: a rating without its text, its
photos and its author's name (the pseudonymised account shows as "A buyer") says nothing about
the person, and the averages buyers rely on stay what they were (ADR 0077)."""

from __future__ import annotations

from typing import Any

from accounts.personal_data import ERASED_TEXT, Rows, personal_data_section
from notifications.models import Notification
from reviews.models import Review, ReviewPhoto, ReviewReport


@personal_data_section("reviews")
class ReviewsPersonalData:
    def export(self, user: Any) -> dict[str, Rows]:
        reviews = Review.objects.filter(buyer=user).select_related("buyer").order_by("pk")
        return {
            "reviews": [{"id": r.pk, "created_at": r.created_at.isoformat(), "vendor": r.vendor_id,
                         "product_id": r.product_id, "product_name": r.product_name, "rating": r.rating,
                         "seller_rating": r.seller_rating, "text": r.text, "status": r.status,
                         "reviewer_name": r.reviewer_name, "reply_text": r.reply_text} for r in reviews],
            "review_photos": [{"review": p.review_id, "file": p.image.name, "width": p.width, "height": p.height}
                              for p in ReviewPhoto.objects.filter(review__buyer=user).order_by("review_id", "pk")],
            "review_reports": [{"review": r.review_id, "reason": r.reason, "created_at": r.created_at.isoformat()}
                               for r in ReviewReport.objects.filter(reporter=user).order_by("pk")],
        }

    def erase(self, user: Any) -> dict[str, int]:
        reviews = Review.objects.filter(buyer=user)
        review_ids = list(reviews.values_list("pk", flat=True))
        texts = reviews.exclude(text="").update(text="", text_fingerprint="")
        photos = 0
        for photo in ReviewPhoto.objects.filter(review_id__in=review_ids):
            photo.image.delete(save=False)
            photo.delete()
            photos += 1
        ReviewReport.objects.filter(reporter=user).exclude(reason="").update(reason=ERASED_TEXT)
        # The vendor's notice of each review named its author.
        for notice in Notification.objects.filter(dedupe_key__in=[f"review_received:{pk}" for pk in review_ids]):
            Notification.objects.filter(pk=notice.pk).update(context={**notice.context, "author_name": ERASED_TEXT})
        return {"review_texts": texts, "review_photos": photos}
