"""Storefront API routes of a vendor host (mounted under `/api/v1/vendor/`)."""

from django.urls import path

from storefront import apis

urlpatterns = [
    path("domains/", apis.CustomDomainListApi.as_view(), name="vendor-domains"),
    path("domains/<int:domain_id>/", apis.CustomDomainDetailApi.as_view(), name="vendor-domain-detail"),
    path("domains/<int:domain_id>/verify/", apis.CustomDomainVerifyApi.as_view(), name="vendor-domain-verify"),
]
