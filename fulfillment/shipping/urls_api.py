"""Vendor shipping settings API routes (vendor host, under /api/v1/vendor/)."""

from django.urls import path

from fulfillment.shipping import apis

urlpatterns = [
    path("shipping/zones/", apis.ShippingZoneListApi.as_view(), name="vendor-shipping-zones"),
    path("shipping/zones/<int:zone_id>/", apis.ShippingZoneDetailApi.as_view(), name="vendor-shipping-zone"),
]
