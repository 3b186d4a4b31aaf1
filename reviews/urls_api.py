"""Reviews API routes: public and buyer (platform /api/v1/), ops (platform /api/v1/ops/), vendor
(vendor host /api/v1/vendor/)."""

from django.urls import path

from reviews import apis

buyer_patterns = [
    path("listings/<int:listing_id>/reviews/", apis.ListingReviewListApi.as_view(), name="api-listing-reviews"),
    path("reviews/", apis.ReviewListApi.as_view(), name="api-reviews"),
    path("reviews/<int:review_id>/helpful/", apis.ReviewHelpfulApi.as_view(), name="api-review-helpful"),
    path("reviews/<int:review_id>/reports/", apis.ReviewReportApi.as_view(), name="api-review-reports"),
]

ops_patterns = [
    path("reviews/", apis.OpsReviewListApi.as_view(), name="api-ops-reviews"),
    path("reviews/<int:review_id>/moderation/", apis.OpsReviewModerationApi.as_view(),
         name="api-ops-review-moderation"),
]

vendor_patterns = [
    path("reviews/", apis.VendorReviewListApi.as_view(), name="api-vendor-reviews"),
    path("reviews/<int:review_id>/reply/", apis.VendorReviewReplyApi.as_view(), name="api-vendor-review-reply"),
]
