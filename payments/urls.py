"""Payments URLs on the platform host: the ops console's webhook pages."""

from django.urls import path

from payments import views

urlpatterns = [
    path("", views.ops_webhook_list, name="ops-webhooks"),
    path("<int:event_id>/", views.ops_webhook_detail, name="ops-webhook-detail"),
    path("<int:event_id>/replay/", views.ops_webhook_replay, name="ops-webhook-replay"),
]
