"""Analytics pages: the vendor dashboard's (vendor host) and the ops console's (platform /ops/)."""

from django.urls import path

from analytics import views

dashboard_patterns = [
    path("analytics/", views.vendor_analytics, name="vendor-analytics"),
    path("analytics/export.csv", views.vendor_analytics_export, name="vendor-analytics-export"),
    path("analytics/products/<int:product_id>/", views.vendor_product_analytics, name="vendor-product-analytics"),
]

ops_patterns = [
    path("analytics/", views.ops_analytics, name="ops-analytics"),
]
