"""Catalog pages of the vendor dashboard (`/dashboard/...` on the vendor host)."""

from django.urls import path

from catalog import views

urlpatterns = [
    path("products/bulk/", views.dashboard_products_bulk, name="dashboard-products-bulk"),
    path("products/new/", views.dashboard_product_new, name="dashboard-product-new"),
    path("products/export.csv", views.dashboard_export, name="dashboard-export"),
    path("products/<int:product_id>/", views.dashboard_product, name="dashboard-product"),
    path("products/<int:product_id>/translations/", views.dashboard_product_translations,
         name="dashboard-product-translations"),
    path("products/<int:product_id>/variants/new/", views.dashboard_variant_add, name="dashboard-variant-add"),
    path("products/<int:product_id>/variants/<int:variant_id>/", views.dashboard_variant_edit,
         name="dashboard-variant-edit"),
    path("products/<int:product_id>/variants/<int:variant_id>/delete/", views.dashboard_variant_delete,
         name="dashboard-variant-delete"),
    path("products/<int:product_id>/images/new/", views.dashboard_image_add, name="dashboard-image-add"),
    path("products/<int:product_id>/images/<int:image_id>/main/", views.dashboard_image_make_main,
         name="dashboard-image-main"),
    path("products/<int:product_id>/images/<int:image_id>/delete/", views.dashboard_image_delete,
         name="dashboard-image-delete"),
    path("products/<int:product_id>/variants/<int:variant_id>/stock/", views.dashboard_stock,
         name="dashboard-stock"),
    path("stock/low/", views.dashboard_low_stock, name="dashboard-low-stock"),
    path("stock/locations/", views.dashboard_stock_locations, name="dashboard-stock-locations"),
    path("stock/locations/<int:location_id>/", views.dashboard_stock_location, name="dashboard-stock-location"),
    path("stock/locations/<int:location_id>/delete/", views.dashboard_stock_location_delete,
         name="dashboard-stock-location-delete"),
    path("imports/", views.dashboard_imports, name="dashboard-imports"),
    path("imports/<int:import_id>/", views.dashboard_import, name="dashboard-import"),
]
