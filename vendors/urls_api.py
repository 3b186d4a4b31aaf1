"""Onboarding API routes of the platform host (mounted under `/api/v1/`)."""

from django.urls import path

from vendors import apis

urlpatterns = [
    path("applications/", apis.ApplicationListApi.as_view(), name="api-applications"),
    path("applications/<int:application_id>/", apis.ApplicationDetailApi.as_view(),
         name="api-application-detail"),
    path("applications/<int:application_id>/documents/", apis.ApplicationDocumentApi.as_view(),
         name="api-application-documents"),
    path("applications/<int:application_id>/logo/", apis.ApplicationLogoApi.as_view(),
         name="api-application-logo"),
    path("applications/<int:application_id>/submit/", apis.ApplicationSubmitApi.as_view(),
         name="api-application-submit"),
    path("applications/<int:application_id>/approve/", apis.ApplicationApproveApi.as_view(),
         name="api-application-approve"),
    path("applications/<int:application_id>/reject/", apis.ApplicationRejectApi.as_view(),
         name="api-application-reject"),
    path("applications/<int:application_id>/request-changes/",
         apis.ApplicationRequestChangesApi.as_view(), name="api-application-request-changes"),
    path("slug-availability/", apis.SlugAvailabilityApi.as_view(), name="api-slug-availability"),
    path("vendors/<int:vendor_id>/<str:action>/", apis.VendorStatusApi.as_view(),
         name="api-vendor-status"),
]
