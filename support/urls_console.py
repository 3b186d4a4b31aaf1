"""Support console URLs on the platform host (/ops/support/)."""

from django.urls import path

from support import views_console, views_offboarding

urlpatterns = [
    path("", views_console.support_search, name="ops-support"),
    path("orders/<int:order_id>/", views_console.support_order, name="ops-support-order"),
    path("orders/<int:order_id>/refund/", views_console.support_order_refund, name="ops-support-refund"),
    path("listings/<int:listing_id>/takedown/", views_console.support_listing_takedown, name="ops-support-takedown"),
    path("takedowns/", views_console.support_takedowns, name="ops-takedowns"),
    path("takedowns/<int:takedown_id>/<str:decision>/", views_console.support_takedown_decide,
         name="ops-takedown-decide"),
    path("vendors/<int:vendor_id>/offboarding/", views_offboarding.ops_vendor_offboarding,
         name="ops-vendor-offboarding"),
    path("vendors/<int:vendor_id>/offboarding/<str:action>/", views_offboarding.ops_vendor_offboarding_action,
         name="ops-vendor-offboarding-action"),
]
