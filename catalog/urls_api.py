"""Vendor catalog API routes beyond list/detail (`/api/v1/vendor/...`)."""

from django.urls import path

from catalog import apis

urlpatterns = [
    path("products/bulk/", apis.BulkApi.as_view(), name="vendor-products-bulk"),
    path("products/export/", apis.ExportApi.as_view(), name="vendor-products-export"),
    path("products/<int:product_id>/variants/", apis.VariantListApi.as_view(), name="vendor-variants"),
    path("products/<int:product_id>/variants/<int:variant_id>/", apis.VariantDetailApi.as_view(),
         name="vendor-variant-detail"),
    path("products/<int:product_id>/variants/<int:variant_id>/stock/", apis.StockApi.as_view(),
         name="vendor-variant-stock"),
    path("stock/locations/", apis.LocationListApi.as_view(), name="vendor-stock-locations"),
    path("stock/locations/<int:location_id>/", apis.LocationDetailApi.as_view(), name="vendor-stock-location"),
    path("stock/moves/", apis.StockMoveApi.as_view(), name="vendor-stock-moves"),
    path("stock/bulk/", apis.StockBulkApi.as_view(), name="vendor-stock-bulk"),
    path("products/<int:product_id>/images/", apis.ImageListApi.as_view(), name="vendor-images"),
    path("imports/", apis.ImportListApi.as_view(), name="vendor-imports"),
    path("imports/<int:import_id>/", apis.ImportDetailApi.as_view(), name="vendor-import-detail"),
]
