"""Dashboard pages of a vendor's orders (vendor host, under /dashboard/orders/)."""

from django.urls import path

from fulfillment import views

urlpatterns = [
    path("", views.order_list, name="fulfillment-orders"),
    path("<int:vendor_order_id>/", views.order_detail, name="fulfillment-order-detail"),
    path("<int:vendor_order_id>/ship/", views.order_ship, name="fulfillment-order-ship"),
    path("<int:vendor_order_id>/lines/<int:line_id>/cancel/", views.order_line_cancel,
         name="fulfillment-line-cancel"),
    path("<int:vendor_order_id>/delivered/", views.order_mark_delivered, name="fulfillment-order-delivered"),
    path("<int:vendor_order_id>/packing-slip.pdf", views.order_packing_slip, name="fulfillment-packing-slip"),
    path("<int:vendor_order_id>/labels/", views.order_label_create, name="fulfillment-label-create"),
    path("<int:vendor_order_id>/labels/<int:label_id>.pdf", views.order_label_pdf, name="fulfillment-label-pdf"),
]
