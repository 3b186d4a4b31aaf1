"""Reviews API: published reviews of a listing (anyone), the buyer's reviews, votes and reports
(platform host), the vendor's reviews and replies (vendor host), the moderation queue (ops).

Thin views: validate the input's shape, call one service, answer with the review. A review that is
not the asker's to see is a 404, exactly like a missing one.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import CanReplyToReviews, IsPlatformAdmin, IsVendorStaff, current_vendor
from common.api import Pagination
from common.ratelimit import RateLimitThrottle
from marketplace.selectors import listing_visible
from reviews import selectors, services
from reviews.models import Review

# ---------------------------------------------------------------------------------------------
# serializers
# ---------------------------------------------------------------------------------------------


class ReviewCreateInput(serializers.Serializer):
    order_line_id = serializers.IntegerField(min_value=1)
    rating = serializers.IntegerField(min_value=1, max_value=5)
    seller_rating = serializers.IntegerField(min_value=1, max_value=5, required=False,
                                             help_text="The seller's stars (packing, shipping, answers); omit for none.")
    text = serializers.CharField(max_length=services.TEXT_MAX, required=False, allow_blank=True, default="")
    photos = serializers.ListField(child=serializers.FileField(), required=False, max_length=services.PHOTOS_MAX,
                                   help_text="JPEG, PNG or WebP images (multipart).")


class ReplyInput(serializers.Serializer):
    text = serializers.CharField(max_length=services.REPLY_MAX)


class ReportInput(serializers.Serializer):
    reason = serializers.CharField(max_length=services.REASON_MAX)


class ModerationInput(serializers.Serializer):
    action = serializers.ChoiceField(choices=["approve", "hide"])
    reason = serializers.CharField(max_length=services.REASON_MAX, required=False, allow_blank=True, default="",
                                   help_text="Required to hide.")


class ReviewOutput(serializers.ModelSerializer):
    """A published review as everyone sees it (text as written: escape it when showing it)."""

    reviewer = serializers.CharField(source="reviewer_name")
    photos = serializers.SerializerMethodField()
    reply = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = ["id", "product_id", "product_name", "rating", "seller_rating", "text", "reviewer", "photos",
                  "helpful_count", "reply", "created_at"]

    def get_photos(self, obj: Review) -> list[dict[str, Any]]:
        return [{"url": photo.image.url, "width": photo.width, "height": photo.height} for photo in obj.photos.all()]

    def get_reply(self, obj: Review) -> dict[str, Any] | None:
        return {"text": obj.reply_text, "replied_at": obj.replied_at} if obj.reply_text else None


class OwnReviewOutput(ReviewOutput):
    """The author's view: with where it stands and, when a moderator decided, why."""

    class Meta(ReviewOutput.Meta):
        fields = [*ReviewOutput.Meta.fields, "order_line_id", "status", "moderation_reason"]


class OpsReviewOutput(OwnReviewOutput):
    vendor = serializers.CharField(source="vendor.slug")
    buyer_email = serializers.CharField(source="buyer.email")

    class Meta(OwnReviewOutput.Meta):
        fields = [*OwnReviewOutput.Meta.fields, "vendor", "buyer_email", "flags", "open_reports", "moderated_at"]


def _page(view: APIView, request: Request, qs: Any, serializer: type[serializers.Serializer]) -> Response:
    paginator = Pagination()
    page: Any = paginator.paginate_queryset(qs, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


# ---------------------------------------------------------------------------------------------
# everyone and buyers (platform host)
# ---------------------------------------------------------------------------------------------
class ListingReviewListApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [RateLimitThrottle]
    rate_limit_scope = "search"

    @extend_schema(tags=["reviews"], responses=ReviewOutput(many=True), operation_id="listing_reviews_list")
    def get(self, request: Request, listing_id: int) -> Response:
        listing = listing_visible(listing_id=listing_id)
        qs = selectors.reviews_of_product(vendor_id=listing.vendor_id, product_id=listing.product_id)
        return _page(self, request, qs, ReviewOutput)


class ReviewListApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(tags=["reviews"], responses=OwnReviewOutput(many=True), operation_id="reviews_list")
    def get(self, request: Request) -> Response:
        return _page(self, request, selectors.reviews_of_buyer(user=request.user), OwnReviewOutput)

    @extend_schema(tags=["reviews"], request={"multipart/form-data": ReviewCreateInput,
                                               "application/json": ReviewCreateInput},
                   responses={201: OwnReviewOutput}, operation_id="reviews_create",
                   description="Review an item you received (one review per order line). Held for "
                               "moderation (`status` pending) when an automatic check finds links, "
                               "repeated text or a burst of low ratings from new accounts.")
    def post(self, request: Request) -> Response:
        data = ReviewCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        photos = request.FILES.getlist("photos") if hasattr(request, "FILES") else []
        review = services.review_create(
            buyer=request.user, order_line_id=values["order_line_id"], rating=values["rating"],
            seller_rating=values.get("seller_rating"), text=values["text"], photos=photos)
        return Response(OwnReviewOutput(review).data, status=status.HTTP_201_CREATED)


class ReviewHelpfulApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["reviews"], request=None, responses={200: ReviewOutput}, operation_id="reviews_helpful")
    def post(self, request: Request, review_id: int) -> Response:
        review = services.review_vote_helpful(user=request.user, review_id=review_id)
        return Response(ReviewOutput(selectors.review_published(review_id=review.pk)).data)


class ReviewReportApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["reviews"], request=ReportInput, responses={201: None}, operation_id="reviews_report")
    def post(self, request: Request, review_id: int) -> Response:
        data = ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.review_report(user=request.user, review_id=review_id, reason=data.validated_data["reason"])
        return Response({"id": report.pk, "review_id": report.review_id}, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------------------------
# vendor (vendor host)
# ---------------------------------------------------------------------------------------------
class VendorReviewListApi(APIView):
    permission_classes = [IsVendorStaff]

    @extend_schema(tags=["vendor reviews"], responses=ReviewOutput(many=True), operation_id="vendor_reviews_list")
    def get(self, request: Request) -> Response:
        return _page(self, request, selectors.reviews_of_vendor_published(vendor=current_vendor(request)),
                     ReviewOutput)


class VendorReviewReplyApi(APIView):
    permission_classes = [CanReplyToReviews]

    @extend_schema(tags=["vendor reviews"], request=ReplyInput, responses=ReviewOutput,
                   operation_id="vendor_reviews_reply")
    def post(self, request: Request, review_id: int) -> Response:
        vendor = current_vendor(request)
        selectors.review_for_vendor(vendor=vendor, review_id=review_id)  # another vendor's: 404
        data = ReplyInput(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_reply(vendor=vendor, user=request.user, review_id=review_id,
                                       text=data.validated_data["text"])
        return Response(ReviewOutput(selectors.review_for_vendor(vendor=vendor, review_id=review.pk)).data)


# ---------------------------------------------------------------------------------------------
# ops (platform host)
# ---------------------------------------------------------------------------------------------
class OpsReviewListApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(tags=["ops reviews"], responses=OpsReviewOutput(many=True), operation_id="ops_reviews_list",
                   parameters=[OpenApiParameter("state", {"type": "string",
                                                          "enum": ["open", *Review.Status.values]},
                                                description="open (default): held or reported.")])
    def get(self, request: Request) -> Response:
        state = request.query_params.get("state", "open")
        return _page(self, request, selectors.moderation_queue(state=state), OpsReviewOutput)


class OpsReviewModerationApi(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(tags=["ops reviews"], request=ModerationInput, responses=OpsReviewOutput,
                   operation_id="ops_reviews_moderate")
    def post(self, request: Request, review_id: int) -> Response:
        data = ModerationInput(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_moderate(admin=request.user, review_id=review_id, **data.validated_data)
        return Response(OpsReviewOutput(selectors.review_for_ops(review_id=review.pk)).data)
