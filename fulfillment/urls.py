"""Dashboard pages of a vendor's orders (vendor host, under /dashboard/orders/)."""

from django.urls import path

from fulfillment import views

urlpatterns = [
    path("", views.order_list, name="fulfillment-orders"),
    path("<int:vendor_order_id>/", views.order_detail, name="fulfillment-order-detail"),
    path("<int:vendor_order_id>/ship/", views.order_ship, name="fulfillment-order-ship"),
    path("<int:vendor_order_id>/lines/<int:line_id>/cancel/", views.order_line_cancel,
         name="fulfillment-line-cancel"),
]
