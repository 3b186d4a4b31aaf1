"""Notification pages: the platform host's, and the bell that vendor hosts serve too."""

from django.urls import path

from notifications import views

bell_patterns = [
    path("notifications/bell/", views.notification_bell, name="notification-bell"),
]

urlpatterns = [
    *bell_patterns,
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification-read"),
    path("notifications/preferences/", views.notification_preferences, name="notification-preferences"),
    path("notifications/unsubscribe/<str:token>/", views.notification_unsubscribe, name="notification-unsubscribe"),
]
