"""Onboarding pages of a vendor host's dashboard (mounted under `/dashboard/`)."""

from django.urls import path

from vendors import views_dashboard

urlpatterns = [
    path("go-live/", views_dashboard.go_live, name="dashboard-go-live"),
    path("go-live/stripe/", views_dashboard.stripe_onboard, name="dashboard-stripe-onboard"),
    path("go-live/stripe/return/", views_dashboard.stripe_return, name="dashboard-stripe-return"),
    path("go-live/stripe/refresh/", views_dashboard.stripe_refresh, name="dashboard-stripe-refresh"),
    path("team/", views_dashboard.team, name="dashboard-team"),
    path("tax-identity/", views_dashboard.tax_identity, name="dashboard-tax-identity"),
    path("team/<int:membership_id>/remove/", views_dashboard.member_remove,
         name="dashboard-member-remove"),
    path("team/invitations/<int:invitation_id>/revoke/", views_dashboard.invitation_revoke,
         name="dashboard-invitation-revoke"),
]
