"""Support URLs on the platform host: the ops console's dead-letter pages."""

from django.urls import path

from support import views

urlpatterns = [
    path("", views.ops_dead_letter_list, name="ops-dead-letters"),
    path("<int:dead_letter_id>/", views.ops_dead_letter_detail, name="ops-dead-letter-detail"),
    path("<int:dead_letter_id>/retry/", views.ops_dead_letter_retry, name="ops-dead-letter-retry"),
    path("<int:dead_letter_id>/discard/", views.ops_dead_letter_discard, name="ops-dead-letter-discard"),
]
