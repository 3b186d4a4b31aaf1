"""Review pages: buyer (platform host), ops console (platform /ops/), vendor dashboard."""

from django.urls import path

from reviews import views

buyer_patterns = [
    path("reviews/", views.buyer_reviews, name="buyer-reviews"),
    path("reviews/new/<int:line_id>/", views.review_new, name="review-new"),
    path("reviews/<int:review_id>/helpful/", views.review_helpful, name="review-helpful"),
    path("reviews/<int:review_id>/report/", views.review_report, name="review-report"),
    path("p/<int:listing_id>/reviews/", views.listing_reviews, name="listing-reviews"),
]

ops_patterns = [
    path("moderation/", views.ops_moderation, name="ops-moderation"),
    path("moderation/<int:review_id>/", views.ops_moderation_detail, name="ops-moderation-detail"),
]

dashboard_patterns = [
    path("reviews/", views.vendor_reviews, name="vendor-reviews"),
    path("reviews/<int:review_id>/reply/", views.vendor_review_reply, name="vendor-review-reply"),
]
