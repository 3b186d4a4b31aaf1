"""Ops console URLs of the audit log and user management (platform host, under /ops/)."""

from django.urls import path

from support import views_audit

urlpatterns = [
    path("audit/", views_audit.ops_audit_list, name="ops-audit"),
    path("audit/export.csv", views_audit.ops_audit_csv, name="ops-audit-csv"),
    path("users/", views_audit.ops_user_list, name="ops-users"),
    path("users/<int:user_id>/", views_audit.ops_user_detail, name="ops-user-detail"),
    path("users/<int:user_id>/impersonate/", views_audit.ops_user_impersonate, name="ops-user-impersonate"),
    path("users/<int:user_id>/impersonate/vendor/<int:vendor_id>/", views_audit.ops_user_impersonate_vendor,
         name="ops-user-impersonate-vendor"),
    path("users/<int:user_id>/<slug:action>/", views_audit.ops_user_action, name="ops-user-action"),
]

dashboard_patterns = [
    path("audit/", views_audit.dashboard_audit_list, name="dashboard-audit"),
    path("audit/export.csv", views_audit.dashboard_audit_csv, name="dashboard-audit-csv"),
]

vendor_api_patterns = [
    path("audit/", views_audit.VendorAuditLogApi.as_view(), name="api-vendor-audit"),
]
