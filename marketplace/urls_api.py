"""Public marketplace API routes (`/api/v1/...` on the platform host)."""

from django.urls import path

from marketplace import apis

urlpatterns = [
    path("listings/", apis.ListingSearchApi.as_view(), name="api-listings"),
    path("listings/suggest/", apis.SuggestApi.as_view(), name="api-listings-suggest"),
    path("listings/<int:listing_id>/", apis.ListingDetailApi.as_view(), name="api-listing-detail"),
    path("categories/", apis.CategoryTreeApi.as_view(), name="api-categories"),
]
