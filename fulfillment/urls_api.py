"""Vendor fulfilment API routes (vendor host, under /api/v1/vendor/)."""

from django.urls import path

from fulfillment import apis

urlpatterns = [
    path("orders/", apis.VendorOrderListApi.as_view(), name="vendor-orders"),
    path("orders/<int:vendor_order_id>/", apis.VendorOrderDetailApi.as_view(), name="vendor-order-detail"),
    path("orders/<int:vendor_order_id>/shipments/", apis.VendorOrderShipApi.as_view(), name="vendor-order-ship"),
    path("orders/<int:vendor_order_id>/delivered/", apis.VendorOrderDeliveredApi.as_view(),
         name="vendor-order-delivered"),
    path("orders/<int:vendor_order_id>/lines/<int:line_id>/cancel/", apis.VendorOrderLineCancelApi.as_view(),
         name="vendor-order-line-cancel"),
]
