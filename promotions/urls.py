"""Promotion pages: vendor dashboard (vendor host) and ops console (platform /ops/)."""

from django.urls import path

from promotions import views

dashboard_patterns = [
    path("promotions/", views.vendor_promotions, name="vendor-promotions"),
    path("promotions/<int:promotion_id>/end/", views.vendor_promotion_end, name="vendor-promotion-end"),
]

ops_patterns = [
    path("promotions/", views.ops_promotions, name="ops-promotions"),
    path("promotions/<int:promotion_id>/end/", views.ops_promotion_end, name="ops-promotion-end"),
]
