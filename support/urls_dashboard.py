"""Support pages on a vendor host's dashboard: takedowns and their appeals, closing the store."""

from django.urls import path

from support import views_dashboard, views_offboarding

urlpatterns = [
    path("takedowns/", views_dashboard.dashboard_takedowns, name="dashboard-takedowns"),
    path("takedowns/<int:takedown_id>/", views_dashboard.dashboard_takedown, name="dashboard-takedown"),
    path("close/", views_offboarding.dashboard_close, name="dashboard-close"),
    path("close/export/", views_offboarding.dashboard_close_export, name="dashboard-close-export"),
]
