"""Onboarding API routes of a vendor host (mounted under `/api/v1/vendor/`)."""

from django.urls import path

from vendors import apis

urlpatterns = [
    path("profile/", apis.VendorProfileApi.as_view(), name="vendor-profile"),
    path("members/", apis.VendorMembersApi.as_view(), name="vendor-members"),
    path("members/invitations/", apis.VendorInvitationApi.as_view(), name="vendor-invitations"),
    path("members/<int:membership_id>/", apis.VendorMemberDetailApi.as_view(),
         name="vendor-member-detail"),
]
