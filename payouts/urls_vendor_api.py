"""Vendor API routes of payouts (vendor host, under `/api/v1/vendor/`)."""

from django.urls import path

from payouts import apis_vendor

urlpatterns = [
    path("money/", apis_vendor.VendorMoneyApi.as_view(), name="vendor-money"),
    path("money/transfers/<int:transfer_id>/", apis_vendor.VendorTransferDetailApi.as_view(),
         name="vendor-money-transfer"),
]
