"""Support pages on a vendor host's dashboard: takedowns and their appeals."""

from django.urls import path

from support import views_dashboard

urlpatterns = [
    path("takedowns/", views_dashboard.dashboard_takedowns, name="dashboard-takedowns"),
    path("takedowns/<int:takedown_id>/", views_dashboard.dashboard_takedown, name="dashboard-takedown"),
]
