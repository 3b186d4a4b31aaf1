"""Storefront pages of a vendor host's dashboard (mounted under `/dashboard/`)."""

from django.urls import path

from storefront import views

urlpatterns = [
    path("storefront/", views.storefront_settings, name="dashboard-storefront"),
]
