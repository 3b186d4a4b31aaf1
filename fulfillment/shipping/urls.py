"""Dashboard pages of the shipping settings (vendor host, under /dashboard/settings/shipping/)."""

from django.urls import path

from fulfillment.shipping import views

urlpatterns = [
    path("", views.shipping_settings, name="dashboard-shipping"),
    path("zones/new/", views.shipping_zone_new, name="dashboard-shipping-zone-new"),
    path("zones/<int:zone_id>/", views.shipping_zone, name="dashboard-shipping-zone"),
    path("zones/<int:zone_id>/delete/", views.shipping_zone_delete, name="dashboard-shipping-zone-delete"),
    path("zones/<int:zone_id>/methods/", views.shipping_method_add, name="dashboard-shipping-method-add"),
    path("zones/<int:zone_id>/methods/<int:method_id>/delete/", views.shipping_method_delete,
         name="dashboard-shipping-method-delete"),
]
