"""Onboarding pages of the platform host: `/sell/` (applicants) and the ops console routes."""

from django.urls import path

from vendors import views, views_ops

sell_patterns = [
    path("", views.sell_start, name="sell-start"),
    path("application/<slug:step>/", views.sell_step, name="sell-step"),
    path("logo/", views.sell_logo_upload, name="sell-logo"),
    path("logo/<int:application_id>/", views.logo_download, name="sell-logo-download"),
    path("documents/", views.sell_document_upload, name="sell-document-upload"),
    path("documents/<int:document_id>/", views.document_download, name="sell-document-download"),
    path("documents/<int:document_id>/remove/", views.sell_document_remove,
         name="sell-document-remove"),
    path("slug-check/", views.sell_slug_check, name="sell-slug-check"),
    path("submit/", views.sell_submit, name="sell-submit"),
    path("status/", views.sell_status, name="sell-status"),
    path("status/progress/", views.sell_progress, name="sell-progress"),
    path("retry/", views.sell_retry, name="sell-retry"),
    path("invitations/<str:secret>/", views.invitation_accept, name="invitation-accept"),
]

ops_patterns = [
    path("applications/", views_ops.applications_list, name="ops-applications"),
    path("applications/<int:application_id>/", views_ops.application_detail,
         name="ops-application-detail"),
    path("applications/<int:application_id>/<slug:decision>/", views_ops.application_decide,
         name="ops-application-decide"),
    path("vendors/", views_ops.vendors_list, name="ops-vendors"),
    path("vendors/<int:vendor_id>/progress/", views_ops.vendor_progress, name="ops-vendor-progress"),
    path("vendors/<int:vendor_id>/retry/", views_ops.vendor_retry, name="ops-vendor-retry"),
    path("vendors/<int:vendor_id>/<slug:action>/", views_ops.vendor_status_change,
         name="ops-vendor-status"),
]
