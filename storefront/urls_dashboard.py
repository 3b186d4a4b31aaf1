"""Storefront pages of a vendor host's dashboard (mounted under `/dashboard/`)."""

from django.urls import path

from storefront import views, views_domains

urlpatterns = [
    path("storefront/", views.storefront_settings, name="dashboard-storefront"),
    path("storefront/domains/", views_domains.custom_domains, name="dashboard-domains"),
    path("storefront/domains/<int:domain_id>/verify/", views_domains.custom_domain_verify,
         name="dashboard-domain-verify"),
    path("storefront/domains/<int:domain_id>/remove/", views_domains.custom_domain_remove,
         name="dashboard-domain-remove"),
]
