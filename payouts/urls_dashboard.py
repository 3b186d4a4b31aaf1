"""Vendor host dashboard URLs of payouts: /dashboard/money/."""

from django.urls import path, re_path

from payouts import views_money

urlpatterns = [
    path("", views_money.money, name="dashboard-money"),
    path("stripe-dashboard/", views_money.stripe_dashboard, name="dashboard-money-stripe"),
    re_path(r"^statements/(?P<period>\d{4}-\d{2})\.(?P<fmt>csv|pdf)$", views_money.statement_download,
            name="dashboard-money-statement"),
]
