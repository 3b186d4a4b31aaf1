"""Ops console pages of orders (platform /ops/): the fraud review queue."""

from django.urls import path

from orders import views_ops

urlpatterns = [
    path("reviews/", views_ops.review_list, name="ops-review-list"),
    path("reviews/<int:order_id>/<str:decision>/", views_ops.review_decide, name="ops-review-decide"),
]
