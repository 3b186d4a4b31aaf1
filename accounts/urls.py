"""Account pages of the platform host beside allauth's (`/accounts/...`)."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("tokens/", views.api_tokens, name="account-api-tokens"),
    path("tokens/<str:token_key>/revoke/", views.api_token_revoke, name="account-api-token-revoke"),
    path("impersonation/stop/", views.impersonation_stop, name="impersonation-stop"),
    path("impersonation/handoff/", views.impersonation_handoff, name="impersonation-handoff"),
]
